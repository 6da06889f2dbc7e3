import { systemClock } from '../clock.js';
import { probeLimit } from './probe.js';
import type { ConnectOptions, EventSourceCtor, SSEConnectionResult, StreamHandle, StreamHandlers, StreamMessage } from '../types.js';
import { streamUrl } from '../url.js';

const CLOSED = 2;

/**
 * Wraps an open EventSource; events that arrive before start() are buffered. `probe`, when
 * given, is asked why the browser gave up (a reconnect refused with 429 shows the page only an
 * "error"), so that the failure carries the server's Retry-After.
 */
export function eventSourceHandle(es: EventSource, eventTypes: readonly string[], probe?: () => Promise<SSEConnectionResult>): StreamHandle {
  let handlers: StreamHandlers | undefined;
  const pending: StreamMessage[] = [];
  let wasOpen = true;
  const onMsg = (e: Event): void => {
    const me = e as MessageEvent<unknown>;
    const msg: StreamMessage = {
      event: e.type,
      data: typeof me.data === 'string' ? me.data : String(me.data),
      ...(me.lastEventId ? { id: me.lastEventId } : {}),
    };
    if (handlers) handlers.onMessage(msg);
    else pending.push(msg);
  };
  const types = ['message', ...eventTypes.filter((t) => t !== 'message')];
  for (const t of types) es.addEventListener(t, onMsg);
  es.addEventListener('open', () => {
    if (!wasOpen) {
      wasOpen = true;
      handlers?.onReopen?.();
    }
  });
  es.addEventListener('error', () => {
    wasOpen = false;
    if (!handlers) return;
    // CONNECTING: the browser reconnects by itself, sending Last-Event-ID. CLOSED: it gave up
    // (non-200, e.g. a 429 on reconnect, or a wrong content type) and we must decide.
    if (es.readyState !== CLOSED) {
      handlers.onError({ fatal: false, reason: 'EventSource reconnecting' });
      return;
    }
    const reason = 'EventSource closed by the browser (refused or failed response)';
    if (!probe) {
      handlers.onError({ fatal: true, reason });
      return;
    }
    const h = handlers;
    void probe().then((r) => {
      if (handlers !== h) return; // closed meanwhile
      h.onError({
        fatal: true,
        reason: r.mode === 'follower' ? `${reason}: ${r.reason ?? 'connection limit exceeded'}` : reason,
        ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
      });
    });
  });
  return {
    transport: 'eventsource',
    start(h) {
      handlers = h;
      for (const m of pending.splice(0)) h.onMessage(m);
    },
    close() {
      handlers = undefined;
      for (const t of types) es.removeEventListener(t, onMsg);
      es.close();
    },
    isOpen: () => es.readyState === 1,
  };
}

/**
 * The seed's connectToSSE over EventSource, with reliable 429 detection:
 * - an error while the browser is still reconnecting (readyState CONNECTING) is a network
 *   hiccup, not a refusal: keep waiting (the seed closed and gave up);
 * - when the browser gives up (CLOSED), a HEAD on the same URL tells a 429 (with its
 *   Retry-After, read as seconds or an HTTP-date) from other failures;
 * - a timeout is reported as a timeout, not as "limit exceeded" (a 7th stream to one origin
 *   over HTTP/1.1 hangs in the browser's queue without any error).
 */
export function connectWithEventSource(projectId: string, options: ConnectOptions = {}): Promise<SSEConnectionResult> {
  const ES: EventSourceCtor | undefined = options.EventSource ?? (globalThis as { EventSource?: EventSourceCtor }).EventSource;
  const fetchFn = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  if (!ES) return Promise.resolve({ mode: 'failed', reason: 'EventSource is not supported' });
  const base = options.baseUrl ?? '';
  const who = options.userId !== undefined ? { userId: options.userId } : {};
  const url = streamUrl(base, projectId, { ...who, ...(options.lastEventId !== undefined ? { lastEventId: options.lastEventId } : {}) });
  const probeUrl = streamUrl(base, projectId, who);
  const withCredentials = options.withCredentials ?? false;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  const probeOpts = { withCredentials, timeoutMs: Math.min(timeoutMs, 5000), defaultRetryAfterMs: options.defaultRetryAfterMs ?? 10_000, clock };

  if (options.signal?.aborted) return Promise.resolve({ mode: 'failed', reason: 'aborted' });
  let es: EventSource;
  try {
    es = new ES(url, { withCredentials });
  } catch (err) {
    return Promise.resolve({ mode: 'failed', reason: err instanceof Error ? err.message : 'Unknown error' });
  }
  // After the browser gave up on a response (non-200): ask why. When even that fails, the
  // server may have said 429 with a Retry-After we cannot read: assume the default one.
  const probe = async (): Promise<SSEConnectionResult> => {
    const r = await probeLimit(fetchFn, probeUrl, probeOpts);
    if (r.mode === 'follower' && r.retryAfterMs !== undefined) options.onRetryAfter?.(r.retryAfterMs);
    return r;
  };
  const probeRefusal = async (): Promise<SSEConnectionResult> => {
    const r = await probe();
    return r.mode === 'failed' && r.status === undefined && r.retryAfterMs === undefined
      ? { ...r, retryAfterMs: probeOpts.defaultRetryAfterMs, reason: `${r.reason ?? 'refused'} (assuming the default Retry-After)` }
      : r;
  };
  const handle = eventSourceHandle(es, options.eventTypes ?? [], probeRefusal);

  return new Promise<SSEConnectionResult>((resolve) => {
    let settled = false;
    let failing = false;
    const settle = (r: SSEConnectionResult): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      es.removeEventListener('open', onOpen);
      es.removeEventListener('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // Abandoned while opening (the tab stepped down, froze or left): close at once rather
    // than when the answer comes, which a frozen tab would not see until it thaws.
    const onAbort = (): void => {
      if (settled) return;
      handle.close();
      settle({ mode: 'failed', reason: 'aborted' });
    };
    options.signal?.addEventListener('abort', onAbort);
    const fail = async (timedOut: boolean): Promise<void> => {
      if (failing) return;
      failing = true;
      clock.clearTimeout(timer);
      handle.close();
      const probed = timedOut ? await probe() : await probeRefusal();
      if (settled) return;
      if (timedOut && probed.mode !== 'follower') {
        settle({ ...probed, mode: 'failed', reason: `Timed out after ${timeoutMs} ms waiting for the stream to open` });
      } else settle(probed);
    };
    const onOpen = (): void => settle({ mode: 'leader', eventSource: es, stream: handle });
    const onError = (): void => {
      if (settled || es.readyState !== CLOSED) return;
      void fail(false);
    };
    const timer = clock.setTimeout(() => {
      if (settled) return;
      void fail(true);
    }, timeoutMs);
    es.addEventListener('open', onOpen);
    es.addEventListener('error', onError);
  });
}
