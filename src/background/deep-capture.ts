/**
 * Deep capture (opt-in): SSE traffic at the network level for one inspected
 * tab, through chrome.debugger (the optional `debugger` permission, asked for
 * at run time by the panel, never at install). It sees what the page script
 * cannot: every event of an EventSource including named events nobody
 * listens to, the exact status and headers, and timing.
 *
 * While it is attached Chrome shows its "is debugging this browser" banner;
 * cancelling the banner detaches us (onDetach) and the capture ends. When the
 * last capture stops, the permission is released (`permissions.remove`).
 *
 * The CDP event -> model mapping (`DeepModel`) is pure and unit-tested; the
 * chrome.debugger calls are in `DeepCapture`.
 */
import type { DeepEvent, SnapshotDeepCapture } from '../shared/protocol';

/** Events kept (oldest dropped first). */
export const DEEP_MAX_EVENTS = 2000;
const PREVIEW = 2048;

interface RequestInfo {
  url: string;
  /** Known to be SSE (an EventSource, or a response of type text/event-stream). */
  sse: boolean;
}

/** CDP Network events of interest, as plain data. */
export type CdpEvent = { method: string; params: Record<string, unknown> };

/** Maps CDP Network events of one or more tabs to `DeepEvent`s. Pure. */
export class DeepModel {
  readonly events: DeepEvent[] = [];
  private readonly requests = new Map<string, RequestInfo>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns true when the event changed what we show. */
  apply(tabId: number, e: CdpEvent): boolean {
    const p = e.params;
    const requestId = typeof p['requestId'] === 'string' ? p['requestId'] : null;
    if (!requestId) return false;
    const key = `${tabId}:${requestId}`;
    switch (e.method) {
      case 'Network.requestWillBeSent': {
        const request = p['request'] as { url?: unknown; headers?: Record<string, unknown> } | undefined;
        const url = typeof request?.url === 'string' ? request.url : '';
        const accept = headerValue(request?.headers, 'accept');
        const type = p['type'];
        this.requests.set(key, { url, sse: type === 'EventSource' || /text\/event-stream/i.test(accept) });
        return false;
      }
      case 'Network.responseReceived': {
        const response = p['response'] as { url?: unknown; status?: unknown; headers?: Record<string, unknown>; mimeType?: unknown } | undefined;
        const info = this.requests.get(key) ?? { url: typeof response?.url === 'string' ? response.url : '', sse: false };
        const mime = typeof response?.mimeType === 'string' ? response.mimeType : '';
        if (p['type'] === 'EventSource' || /text\/event-stream/i.test(mime)) info.sse = true;
        this.requests.set(key, info);
        if (!info.sse) return false;
        this.push({
          tabId,
          requestId,
          url: info.url,
          kind: 'response',
          t: this.now(),
          status: typeof response?.status === 'number' ? response.status : 0,
          headers: stringHeaders(response?.headers),
          source: 'network',
        });
        return true;
      }
      case 'Network.eventSourceMessageReceived': {
        const info = this.requests.get(key);
        const data = typeof p['data'] === 'string' ? p['data'] : '';
        this.push({
          tabId,
          requestId,
          url: info?.url ?? '',
          kind: 'message',
          t: this.now(),
          type: typeof p['eventName'] === 'string' && p['eventName'] !== '' ? p['eventName'] : 'message',
          preview: data.slice(0, PREVIEW),
          lastEventId: typeof p['eventId'] === 'string' ? p['eventId'] : '',
          source: 'network',
        });
        return true;
      }
      case 'Network.loadingFinished':
      case 'Network.loadingFailed': {
        const info = this.requests.get(key);
        this.requests.delete(key);
        if (!info?.sse) return false;
        this.push({ tabId, requestId, url: info.url, kind: 'end', t: this.now(), source: 'network' });
        return true;
      }
      default:
        return false;
    }
  }

  forget(tabId: number): void {
    for (const key of [...this.requests.keys()]) if (key.startsWith(`${tabId}:`)) this.requests.delete(key);
  }

  private push(e: DeepEvent): void {
    this.events.push(e);
    if (this.events.length > DEEP_MAX_EVENTS) this.events.splice(0, this.events.length - DEEP_MAX_EVENTS);
  }
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string {
  if (!headers) return '';
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name && typeof v === 'string') return v;
  return '';
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string' || n++ >= 64) continue;
    out[k.toLowerCase()] = v.slice(0, 1024);
  }
  return out;
}

const PERMISSION = { permissions: ['debugger'] } as chrome.permissions.Permissions;

type DebuggerApi = typeof chrome.debugger;

function debuggerApi(): DebuggerApi | undefined {
  // Present only while the optional permission is granted.
  return (globalThis as { chrome?: { debugger?: DebuggerApi } }).chrome?.debugger;
}

export class DeepCapture {
  private readonly tabs = new Set<number>();
  private readonly model = new DeepModel();
  private readonly listeners = new Set<() => void>();
  private listening = false;

  constructor() {
    // chrome.debugger exists only once the permission is granted: listen then.
    this.listen();
    try {
      chrome.permissions?.onAdded?.addListener(() => this.listen());
    } catch {
      // Not available (unit tests, other browsers).
    }
  }

  private listen(): void {
    const api = debuggerApi();
    if (!api || this.listening) return;
    this.listening = true;
    api.onEvent.addListener((source, method, params) => {
      const tabId = source.tabId;
      if (tabId === undefined || !this.tabs.has(tabId)) return;
      if (this.model.apply(tabId, { method, params: (params ?? {}) as Record<string, unknown> })) this.changed();
    });
    api.onDetach.addListener((source) => {
      // The person cancelled the banner, or the tab went away.
      const tabId = source.tabId;
      if (tabId === undefined || !this.tabs.delete(tabId)) return;
      this.model.forget(tabId);
      this.changed();
      void this.releaseIfIdle();
    });
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  view(): SnapshotDeepCapture {
    return { tabIds: [...this.tabs], events: [...this.model.events] };
  }

  async start(tabId: number): Promise<{ ok: true } | { ok: false; error: string }> {
    if (this.tabs.has(tabId)) return { ok: true };
    let granted = false;
    try {
      granted = await chrome.permissions.contains(PERMISSION);
    } catch {
      granted = false;
    }
    if (!granted) return { ok: false, error: 'the debugger permission is not granted (the panel asks for it)' };
    this.listen();
    const api = debuggerApi();
    if (!api) return { ok: false, error: 'chrome.debugger is not available' };
    try {
      await api.attach({ tabId }, '1.3');
      this.tabs.add(tabId);
      await api.sendCommand({ tabId }, 'Network.enable', {});
    } catch (error) {
      this.tabs.delete(tabId);
      return { ok: false, error: `could not attach: ${error instanceof Error ? error.message : String(error)}` };
    }
    this.changed();
    return { ok: true };
  }

  async stop(tabId: number): Promise<{ ok: true }> {
    if (this.tabs.delete(tabId)) {
      try {
        await debuggerApi()?.detach({ tabId });
      } catch {
        // Already detached.
      }
      this.model.forget(tabId);
      this.changed();
    }
    await this.releaseIfIdle();
    return { ok: true };
  }

  /** The last panel of a tab closed: its capture ends. */
  panelClosed(tabId: number): Promise<{ ok: true }> {
    return this.stop(tabId);
  }

  /** Turned off everywhere: give the permission back. */
  private async releaseIfIdle(): Promise<void> {
    if (this.tabs.size > 0) return;
    try {
      if (await chrome.permissions.contains(PERMISSION)) await chrome.permissions.remove(PERMISSION);
    } catch {
      // Could not release it (e.g. declared as required in a test build).
    }
  }
}
