/**
 * The relay's logic, free of chrome.* and DOM so it is unit-tested in Node.
 *
 * page --PageBatch JSON--> relay --relay:hello, relay:batch--> worker port
 * worker --PageConfig--> relay --JSON--> page
 *
 * - Only strings of bounded length that start with the page script's batch
 *   header (`readPageBatchHeader`) are forwarded, unparsed: the worker parses
 *   and validates the events, so the page's thread (which this isolated
 *   world shares) does not pay for it. Everything else is ignored. The
 *   page's ping (an empty batch) is answered with the current config and not
 *   forwarded.
 * - The port is opened on the first batch with content (a page without SSE,
 *   channels or locks never wakes the worker), and hello is sent first on
 *   every (re)connection.
 * - Batches carry an increasing `seq` and stay buffered until the worker
 *   acknowledges them (`relay:ack`, sent once persisted). When the port
 *   disconnects (the worker stopped or restarted) the port is reopened after
 *   a short delay, hello goes first, then every unacknowledged batch again;
 *   the worker drops numbers it already applied. The buffer is bounded: the
 *   oldest batches go first, and those never sent are counted in `dropped`.
 * - Until the worker's config arrives (the port opens late, on purpose), the
 *   page gets one built from the settings in storage (`loadSettings`), so a
 *   page that floods before its first batch reaches the worker already logs
 *   at the user's message log rate and preview length.
 * - Nothing here throws to its caller.
 */
import {
  DEFAULT_SETTINGS,
  LIMITS,
  PAGE_PING,
  parsePageConfig,
  parseSettingsPatch,
  parsePageFaultHit,
  parseRelayAck,
  PROTOCOL_VERSION,
  readPageBatchHeader,
  type PageConfig,
  type RelayFaultHit,
  type RelayMessage,
  type RelayWireBatch,
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
  /** False once the extension context is gone for good (extension reloaded): stop reconnecting. */
  alive?: () => boolean;
  /** Batches kept while the port is down. */
  maxBuffered?: number;
  /** The settings stored by the worker (storage.sync), raw; null or a rejection: none stored or unreadable. */
  loadSettings?: () => Promise<unknown>;
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
  /** Batches kept until the worker acknowledges them. */
  readonly unacknowledged: number;
  /** The page went into the back/forward cache: let the port go, so the worker sees it leave. */
  pageHidden(): void;
  /** The page came back from the cache: reconnect now; hello tells the worker the document is back. */
  pageShown(): void;
}

const RECONNECT_MS = [50, 250, 1000, 5000];

/** A batch kept until acknowledged: what goes on the port, and the counts its header gave. */
interface Batch {
  message: RelayWireBatch;
  count: number;
  pageDropped: number;
}

export function createRelay(options: RelayOptions): Relay {
  const maxBuffered = options.maxBuffered ?? 256;
  let config: PageConfig = { kind: 'config', previewBytes: LIMITS.defaultPreview };
  /** The worker's own config arrived: stored settings no longer apply. */
  let fromWorker = false;
  let port: PortLike | null = null;
  let wanted = false;
  /** In the back/forward cache: no port until the page is shown again. */
  let suspended = false;
  let reconnectScheduled = false;
  let failures = 0;
  /** Batches not yet acknowledged, oldest first; those with seq <= sentSeq went out on this port. */
  const buffer: Batch[] = [];
  let nextSeq = 1;
  let sentSeq = 0;
  const stats: RelayStats = { forwarded: 0, rejected: 0, droppedByRelay: 0, connects: 0 };
  /** Fault hits waiting for a port (best effort, bounded; docs/faults.md). */
  const hits: RelayFaultHit[] = [];

  function isAlive(): boolean {
    try {
      return options.alive ? options.alive() : true;
    } catch {
      return false;
    }
  }

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
    if (reconnectScheduled || suspended || !isAlive()) return;
    reconnectScheduled = true;
    const delay = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)] ?? 5000;
    failures++;
    options.setTimer(() => {
      reconnectScheduled = false;
      open();
    }, delay);
  }

  function lost(which: PortLike): void {
    if (port !== which) return;
    port = null;
    sentSeq = 0; // everything unacknowledged goes again on the next port
    scheduleReconnect();
  }

  function onPortMessage(message: unknown): void {
    const ack = parseRelayAck(message);
    if (ack) {
      while (buffer.length > 0 && (buffer[0] as Batch).message.seq <= ack.seq) buffer.shift();
      failures = 0;
      return;
    }
    const next = parsePageConfig(message);
    if (!next) return;
    fromWorker = true;
    config = next;
    sendConfig();
  }

  function fromStorage(raw: unknown): void {
    if (fromWorker) return;
    const parsed = parseSettingsPatch(raw ?? {});
    const patch = parsed.ok ? parsed.patch : {};
    config = {
      kind: 'config',
      previewBytes: patch.previewBytes ?? DEFAULT_SETTINGS.previewBytes,
      messageLogRate: patch.messageLogRate ?? DEFAULT_SETTINGS.messageLogRate,
    };
    sendConfig();
  }

  function open(): void {
    if (port || !wanted || suspended) return;
    let p: PortLike;
    try {
      p = options.connect();
      p.onDisconnect.addListener(() => lost(p));
      p.onMessage.addListener((message) => {
        try {
          onPortMessage(message);
        } catch {
          // A bad message from the worker must not break the relay.
        }
      });
      p.postMessage(hello());
    } catch {
      // The extension was reloaded or the context is gone: try again later.
      scheduleReconnect();
      return;
    }
    port = p;
    sentSeq = 0;
    stats.connects++;
    drain();
    drainHits();
  }

  function drainHits(): void {
    while (port && hits.length > 0) {
      try {
        port.postMessage(hits[0]);
      } catch {
        const p = port;
        lost(p);
        return;
      }
      hits.shift();
    }
  }

  /** The page applied a fault once: tell the worker (a refusal uses up an attempt). */
  function faultHit(detail: unknown): boolean {
    const hit = parsePageFaultHit(detail);
    if (!hit) return false;
    if (hits.length < 256) hits.push({ kind: 'relay:fault-hit', docId: options.docId, id: hit.id, what: hit.what, url: hit.url });
    wanted = true;
    if (!port && !reconnectScheduled) open();
    drainHits();
    return true;
  }

  function drain(): void {
    for (let i = 0; port && i < buffer.length; i++) {
      const batch = (buffer[i] as Batch).message;
      if (batch.seq <= sentSeq) continue;
      try {
        port.postMessage(batch);
      } catch {
        const p = port;
        lost(p);
        return;
      }
      sentSeq = batch.seq;
      stats.forwarded++;
    }
  }

  function enqueue(batch: Batch): void {
    buffer.push(batch);
    while (buffer.length > maxBuffered) {
      const old = buffer.shift() as Batch;
      // A batch that went out may well be applied: forget it quietly. One
      // that never went out is lost: count its events as dropped.
      if (old.message.seq > sentSeq) {
        stats.droppedByRelay += old.count;
        const next = buffer.find((b) => b.message.seq > sentSeq && b !== batch) ?? batch;
        next.message.dropped += old.count + old.pageDropped + old.message.dropped;
      }
    }
    // While a reconnect is scheduled, wait for it (backoff) instead of hammering connect().
    if (!port && !reconnectScheduled) open();
    drain();
  }

  function fromPage(detail: unknown): void {
    try {
      if (detail === PAGE_PING) {
        sendConfig();
        return;
      }
      const header = readPageBatchHeader(detail);
      if (!header) {
        if (faultHit(detail)) return;
        stats.rejected++;
        return;
      }
      wanted = true;
      enqueue({
        message: { kind: 'relay:batch', docId: options.docId, seq: nextSeq++, body: detail as string, dropped: 0 },
        count: header.count,
        pageDropped: header.dropped,
      });
    } catch {
      stats.rejected++;
    }
  }

  function pageHidden(): void {
    suspended = true;
    const p = port;
    if (!p) return;
    port = null;
    sentSeq = 0; // what was not acknowledged goes again after the restore
    try {
      p.disconnect();
    } catch {
      // Already gone.
    }
  }

  function pageShown(): void {
    if (!suspended) return;
    suspended = false;
    failures = 0;
    if (!reconnectScheduled) open();
  }

  sendConfig(); // announce ourselves in case the page script started first
  if (options.loadSettings) {
    try {
      options.loadSettings().then(fromStorage, () => fromStorage(null));
    } catch {
      fromStorage(null);
    }
  }
  return {
    fromPage,
    pageHidden,
    pageShown,
    stats,
    get connected() {
      return port !== null;
    },
    get unacknowledged() {
      return buffer.length;
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
