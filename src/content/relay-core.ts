/**
 * The relay's logic, free of chrome.* and DOM so it is unit-tested in Node.
 *
 * page --PageBatch JSON--> relay --relay:hello, relay:batch--> worker port
 * worker --PageConfig--> relay --JSON--> page
 *
 * - Only details that parse with `parsePageBatch` are accepted; everything
 *   else is ignored. An empty batch is the page's ping: it is answered with
 *   the current config and not forwarded.
 * - The port is opened on the first batch with content (a page without SSE,
 *   channels or locks never wakes the worker), and hello is sent first on
 *   every (re)connection.
 * - When the port disconnects (the worker stopped or restarted), messages
 *   are buffered (bounded; the oldest batches are dropped and their events
 *   counted in `dropped`) and the port is reopened after a short delay.
 * - Nothing here throws to its caller.
 */
import {
  LIMITS,
  parsePageBatch,
  parsePageConfig,
  PROTOCOL_VERSION,
  type PageConfig,
  type RelayMessage,
} from '../shared/protocol';

export interface PortLike {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

export interface RelayOptions {
  connect: () => PortLike;
  docId: string;
  url: () => string;
  title: () => string;
  /** Deliver a JSON string to the page (RELAY_EVENT_TYPE). */
  toPage: (json: string) => void;
  setTimer: (fn: () => void, ms: number) => void;
  /** Batches kept while the port is down. */
  maxBuffered?: number;
}

export interface RelayStats {
  forwarded: number;
  rejected: number;
  /** Events dropped by the relay's own buffer. */
  droppedByRelay: number;
  connects: number;
}

export interface Relay {
  /** A PAGE_EVENT_TYPE event's detail. */
  fromPage(detail: unknown): void;
  readonly stats: RelayStats;
  readonly connected: boolean;
}

const RECONNECT_MS = [50, 250, 1000, 5000];

export function createRelay(options: RelayOptions): Relay {
  const maxBuffered = options.maxBuffered ?? 256;
  let config: PageConfig = { kind: 'config', previewBytes: LIMITS.defaultPreview };
  let port: PortLike | null = null;
  let wanted = false;
  let reconnectScheduled = false;
  let failures = 0;
  const buffer: Extract<RelayMessage, { kind: 'relay:batch' }>[] = [];
  let pendingDropped = 0;
  const stats: RelayStats = { forwarded: 0, rejected: 0, droppedByRelay: 0, connects: 0 };

  function sendConfig(): void {
    try {
      options.toPage(JSON.stringify(config));
    } catch {
      // The page is gone.
    }
  }

  function hello(): RelayMessage {
    return {
      kind: 'relay:hello',
      v: PROTOCOL_VERSION,
      docId: options.docId,
      url: safeString(options.url, LIMITS.maxUrl),
      title: safeString(options.title, LIMITS.maxName),
    };
  }

  function scheduleReconnect(): void {
    if (reconnectScheduled) return;
    reconnectScheduled = true;
    const delay = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)] ?? 5000;
    failures++;
    options.setTimer(() => {
      reconnectScheduled = false;
      open();
    }, delay);
  }

  function onDisconnect(which: PortLike): void {
    if (port !== which) return;
    port = null;
    scheduleReconnect();
  }

  function open(): void {
    if (port || !wanted) return;
    let p: PortLike;
    try {
      p = options.connect();
      p.onDisconnect.addListener(() => onDisconnect(p));
      p.onMessage.addListener((message) => {
        const next = parsePageConfig(message);
        if (!next) return;
        config = next;
        sendConfig();
      });
      p.postMessage(hello());
    } catch {
      // The extension was reloaded or the context is gone: try again later.
      scheduleReconnect();
      return;
    }
    port = p;
    stats.connects++;
    drain();
  }

  function drain(): void {
    while (port && buffer.length > 0) {
      const message = buffer[0] as Extract<RelayMessage, { kind: 'relay:batch' }>;
      try {
        port.postMessage(message);
      } catch {
        port = null;
        scheduleReconnect();
        return;
      }
      buffer.shift();
      stats.forwarded++;
      failures = 0;
    }
  }

  function enqueue(message: Extract<RelayMessage, { kind: 'relay:batch' }>): void {
    message.dropped += pendingDropped;
    pendingDropped = 0;
    buffer.push(message);
    while (buffer.length > maxBuffered) {
      const lost = buffer.shift();
      if (!lost) break;
      const lostEvents = lost.events.length + lost.dropped;
      stats.droppedByRelay += lost.events.length;
      // Counted into the next batch that does get through.
      const next = buffer[0];
      if (next) next.dropped += lostEvents;
      else pendingDropped += lostEvents;
    }
    if (!port) open();
    drain();
  }

  function fromPage(detail: unknown): void {
    try {
      const batch = parsePageBatch(detail);
      if (!batch) {
        stats.rejected++;
        return;
      }
      if (batch.events.length === 0 && batch.invalid === 0 && batch.dropped === 0) {
        sendConfig(); // the page's ping
        return;
      }
      wanted = true;
      enqueue({
        kind: 'relay:batch',
        docId: options.docId,
        events: batch.events,
        invalid: batch.invalid,
        dropped: batch.dropped,
      });
    } catch {
      stats.rejected++;
    }
  }

  sendConfig(); // announce ourselves in case the page script started first
  return {
    fromPage,
    stats,
    get connected() {
      return port !== null;
    },
  };
}

function safeString(read: () => string, max: number): string {
  try {
    const s = read();
    return typeof s === 'string' ? s.slice(0, max) : '';
  } catch {
    return '';
  }
}
