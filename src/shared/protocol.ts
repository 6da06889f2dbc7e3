/**
 * The one protocol module: every message that crosses a boundary of the
 * extension is defined here, with its source tag, its guard and its bounds.
 *
 *   page (MAIN world)  --CustomEvent on document-->  relay (isolated world)
 *   relay              --runtime port "sse-relay"--> background worker
 *   panel / any page   --runtime port "panel:<tabId>" and sendMessage--> background
 *
 * Page data is hostile: everything that comes from the MAIN world is parsed
 * with the valibot schemas below (unknown keys are dropped, strings and
 * arrays are bounded) before anybody looks at it. valibot was picked because
 * it is small (tree-shakes to a few KiB in the relay), fast, typed, and
 * maintained; its `object` schemas copy only the known keys, so `__proto__`
 * or `constructor` keys in a forged payload never reach our objects.
 */
import * as v from 'valibot';

// The constants live in a module of their own, free of valibot, so that the
// MAIN-world page script can import them without carrying the validators.
export * from './constants.js';
import { LIMITS, PAGE_SOURCE, PROTOCOL_VERSION, SNAPSHOT_SCHEMA_VERSION, PANEL_PORT_PREFIX } from './constants.js';

// ---------------------------------------------------------------------------
// Page events (MAIN world -> relay -> worker)
// ---------------------------------------------------------------------------

const str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const id = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const time = v.pipe(v.number(), v.finite(), v.minValue(0));
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const readyState = v.picklist([0, 1, 2]);
const headers = v.pipe(
  v.record(str(128), str(LIMITS.maxHeaderValue)),
  v.check((h) => Object.keys(h).length <= LIMITS.maxHeaders, 'too many headers'),
);

/** Fields every page event has: kind, time (ms since epoch). */
const base = { t: time };

/** One delivered SSE event, whichever the transport. */
const messageFields = {
  ...base,
  id,
  /** Event type: `message` or a named event. */
  type: str(LIMITS.maxName),
  /** Data preview, cut at the configured preview length. */
  preview: str(LIMITS.maxPreview),
  /** Full length of the data in UTF-8 bytes. */
  size: count,
  lastEventId: str(LIMITS.maxName),
};

/**
 * Messages of one source over the message log rate (the `messageLogRate`
 * setting), counted instead of logged one by one; sent at most one batch
 * interval after the first of them, and before the next message of the same
 * source that is logged. `t` is the time of the last of them.
 */
const summaryFields = {
  ...base,
  id,
  /** How many messages (at least 1). */
  count: v.pipe(count, v.minValue(1)),
  /** Time of the first of them. */
  since: time,
};
const messageSummaryFields = {
  ...summaryFields,
  /** Their data in UTF-8 bytes, summed. */
  bytes: count,
  /** The last event id after the last of them. */
  lastEventId: str(LIMITS.maxName),
};

export const PageEventSchema = v.variant('kind', [
  // EventSource
  v.object({ kind: v.literal('es:create'), ...base, id, url: str(LIMITS.maxUrl), withCredentials: v.boolean() }),
  v.object({ kind: v.literal('es:state'), ...base, id, readyState }),
  v.object({ kind: v.literal('es:open'), ...base, id }),
  v.object({ kind: v.literal('es:message'), ...messageFields }),
  v.object({ kind: v.literal('es:message-summary'), ...messageSummaryFields }),
  v.object({
    kind: v.literal('es:error'),
    ...base,
    id,
    readyState,
    /** Reconnect attempts of this connection so far, counted by the page script (every error after which readyState is 0). */
    reconnects: v.optional(count),
  }),
  v.object({ kind: v.literal('es:close'), ...base, id }),
  // fetch-based streams (responses of content type text/event-stream)
  v.object({
    kind: v.literal('fetch:open'),
    ...base,
    id,
    url: str(LIMITS.maxUrl),
    method: str(16),
    status: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(999)),
    headers,
  }),
  v.object({ kind: v.literal('fetch:message'), ...messageFields }),
  v.object({ kind: v.literal('fetch:message-summary'), ...messageSummaryFields }),
  v.object({ kind: v.literal('fetch:end'), ...base, id, reason: v.picklist(['done', 'error', 'abort']) }),
  // BroadcastChannel
  v.object({ kind: v.literal('bc:create'), ...base, id, name: str(LIMITS.maxName) }),
  v.object({ kind: v.literal('bc:post'), ...base, id, size: count, preview: str(LIMITS.maxPreview) }),
  v.object({ kind: v.literal('bc:receive'), ...base, id, size: count, preview: str(LIMITS.maxPreview) }),
  /** BroadcastChannel messages over the rate: counted, their data not read (reading a received one would deserialize it). */
  v.object({ kind: v.literal('bc:post-summary'), ...summaryFields }),
  v.object({ kind: v.literal('bc:receive-summary'), ...summaryFields }),
  v.object({ kind: v.literal('bc:messageerror'), ...base, id }),
  v.object({ kind: v.literal('bc:close'), ...base, id }),
  // Web Locks
  v.object({
    kind: v.literal('lock:request'),
    ...base,
    id,
    name: str(LIMITS.maxName),
    mode: v.picklist(['exclusive', 'shared']),
    ifAvailable: v.boolean(),
    steal: v.boolean(),
  }),
  v.object({ kind: v.literal('lock:granted'), ...base, id }),
  /** `ifAvailable` request that got `null`. */
  v.object({ kind: v.literal('lock:unavailable'), ...base, id }),
  v.object({ kind: v.literal('lock:released'), ...base, id }),
  /** Request aborted by its signal or stolen from. */
  v.object({ kind: v.literal('lock:aborted'), ...base, id }),
  /**
   * Plain requests of one lock name over the message log rate, each granted
   * and released before it was sent (a request still queued or held at the
   * next batch is sent as usual). `name` is '' for names beyond the 256
   * a page gates one by one.
   */
  v.object({ kind: v.literal('lock:request-summary'), ...base, name: str(LIMITS.maxName), count: v.pipe(count, v.minValue(1)), since: time }),
  // Page hook
  v.object({
    kind: v.literal('hook:role'),
    ...base,
    projectKey: str(LIMITS.maxName),
    role: v.picklist(['leader', 'follower', 'standalone']),
  }),
  // The wrapper reports that it turned itself off.
  v.object({ kind: v.literal('wrapper:error'), ...base, message: str(LIMITS.maxMessage) }),
]);

export type PageEvent = v.InferOutput<typeof PageEventSchema>;
export type PageEventKind = PageEvent['kind'];
export type PageEventOf<K extends PageEventKind> = Extract<PageEvent, { kind: K }>;

/** What the MAIN-world script dispatches: JSON of this, in `CustomEvent.detail`. */
export interface PageBatch {
  source: typeof PAGE_SOURCE;
  v: typeof PROTOCOL_VERSION;
  /** How many events the batch says it holds (read by the relay without parsing them; the worker counts for itself). */
  n: number;
  /** Events the page queue dropped (oldest first) since the last batch. */
  dropped: number;
  events: unknown[];
}

/** The page's ping: an empty batch, exactly as `encodeBatch('', 0, 0)` writes it. */
export const PAGE_PING = `{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":0,"dropped":0,"events":[]}`;

const HEADER = new RegExp(`^\\{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":(\\d{1,6}),"dropped":(\\d{1,15}),"events":\\[`);

/**
 * The relay's check of a page batch: a string of bounded length that starts
 * with the header the page script writes. It reads the counts there and
 * leaves the events unparsed: they are parsed and validated once, in the
 * worker (`parseRelayMessage`), off the page's thread. The counts are the
 * page's word, used only to count what the relay itself has to drop.
 */
export function readPageBatchHeader(detail: unknown): { count: number; dropped: number } | null {
  if (typeof detail !== 'string' || detail.length > LIMITS.maxBatchChars) return null;
  const m = HEADER.exec(detail.slice(0, 128));
  if (!m) return null;
  return { count: Math.min(Number(m[1]), LIMITS.maxBatchEvents), dropped: Number(m[2]) };
}

const PageBatchShape = v.object({
  source: v.literal(PAGE_SOURCE),
  v: v.literal(PROTOCOL_VERSION),
  events: v.pipe(v.array(v.unknown()), v.maxLength(LIMITS.maxBatchEvents)),
  dropped: count,
});

export interface ParsedBatch {
  events: PageEvent[];
  /** Events that failed validation. */
  invalid: number;
  /** Events the page dropped before sending. */
  dropped: number;
}

/** Parse one serialized page batch. Returns null when the envelope itself is bad. */
export function parsePageBatch(detail: unknown): ParsedBatch | null {
  if (typeof detail !== 'string' || detail.length > LIMITS.maxBatchChars) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(detail);
  } catch {
    return null;
  }
  const envelope = v.safeParse(PageBatchShape, raw);
  if (!envelope.success) return null;
  return parsePageEvents(envelope.output.events, envelope.output.dropped);
}

/** Validate a list of untrusted events one by one; a bad one is counted, not fatal. */
/**
 * The schema of each kind, looked up by `kind` directly: valibot's `variant`
 * tries every option's discriminator and builds an issue object for each
 * miss, which cost more than the rest of validation on the page's thread.
 */
type KindSchema = (typeof PageEventSchema.options)[number];
/**
 * Built on first use, not when the module loads: a module-level statement
 * with a call keeps every page event schema in each bundle that imports this
 * module, the relay's among them, which builds them in every frame before
 * the page's first script (docs/benchmarks.md).
 */
let schemaByKind: Map<string, KindSchema> | null = null;
function schemaOf(kind: string): KindSchema | undefined {
  schemaByKind ??= new Map<string, KindSchema>(PageEventSchema.options.map((o) => [o.entries.kind.literal, o]));
  return schemaByKind.get(kind);
}
const FAST = { abortEarly: true, abortPipeEarly: true } as const;

export function parsePageEvents(list: readonly unknown[], dropped = 0): ParsedBatch {
  const events: PageEvent[] = [];
  let invalid = 0;
  const n = Math.min(list.length, LIMITS.maxBatchEvents);
  for (let i = 0; i < n; i++) {
    const item = list[i];
    const kind = typeof item === 'object' && item !== null ? (item as { kind?: unknown }).kind : undefined;
    const schema = typeof kind === 'string' ? schemaOf(kind) : undefined;
    const r = schema ? v.safeParse(schema, item, FAST) : null;
    if (r?.success) events.push(r.output as PageEvent);
    else invalid++;
  }
  invalid += Math.max(0, list.length - LIMITS.maxBatchEvents);
  return { events, invalid, dropped };
}

// ---------------------------------------------------------------------------
// Relay <-> worker (port RELAY_PORT_NAME)
// ---------------------------------------------------------------------------

export type RelayMessage =
  | {
      kind: 'relay:hello';
      v: typeof PROTOCOL_VERSION;
      /** Random id of this document, so ids from two page loads never collide. */
      docId: string;
      url: string;
      title: string;
    }
  | {
      kind: 'relay:batch';
      docId: string;
      /**
       * Increasing number of the batch within its document. The relay keeps
       * a batch until the worker acknowledges it as persisted (`relay:ack`)
       * and sends it again after a reconnect; the worker ignores a batch
       * whose number it has already applied. At least once + dedupe: a
       * worker stopped at any moment loses and doubles nothing.
       */
      seq?: number;
      events: PageEvent[];
      invalid: number;
      dropped: number;
    };

/**
 * A batch as the relay sends it: the page's batch JSON unparsed (`body`),
 * and the events the relay itself dropped. `parseRelayMessage` turns it into
 * the `relay:batch` above.
 */
export interface RelayWireBatch {
  kind: 'relay:batch';
  docId: string;
  seq: number;
  body: string;
  dropped: number;
}

/** Worker -> relay: every batch up to `seq` of this document is applied and persisted. */
export interface RelayAck {
  kind: 'relay:ack';
  seq: number;
}

const RelayMessageSchema = v.variant('kind', [
  v.object({
    kind: v.literal('relay:hello'),
    v: v.literal(PROTOCOL_VERSION),
    docId: str(64),
    url: str(LIMITS.maxUrl),
    title: str(LIMITS.maxName),
  }),
  v.object({
    kind: v.literal('relay:batch'),
    docId: str(64),
    seq: v.optional(count),
    body: v.pipe(v.string(), v.maxLength(LIMITS.maxBatchChars)),
    dropped: count,
  }),
]);

/**
 * The worker validates relay messages again: the relay is ours, but a
 * compromised or buggy relay must not be able to corrupt the model either.
 */
export function parseRelayMessage(raw: unknown): RelayMessage | null {
  const r = v.safeParse(RelayMessageSchema, raw);
  if (!r.success) return null;
  if (r.output.kind === 'relay:hello') return r.output;
  const { docId, seq, body, dropped } = r.output;
  // The page's batch is parsed and validated here, once. A body that is not
  // a batch at all counts as the events its header claims (at least one).
  const parsed = parsePageBatch(body) ?? { events: [], invalid: Math.max(1, readPageBatchHeader(body)?.count ?? 0), dropped: 0 };
  return {
    kind: 'relay:batch',
    docId,
    ...(seq !== undefined ? { seq } : {}),
    events: parsed.events,
    invalid: parsed.invalid,
    dropped: dropped + parsed.dropped,
  };
}

const RelayAckSchema = v.object({ kind: v.literal('relay:ack'), seq: count });

/** The relay validates the worker's acknowledgements too. */
export function parseRelayAck(raw: unknown): RelayAck | null {
  const r = v.safeParse(RelayAckSchema, raw);
  return r.success ? r.output : null;
}

/** Worker -> relay -> page: settings the page script honours. */
export interface PageConfig {
  kind: 'config';
  previewBytes: number;
  /** Messages logged one by one per second per source (Settings.messageLogRate); absent: the default. */
  messageLogRate?: number;
  /**
   * Faults a person asked for in the panel that apply to this document
   * (docs/faults.md). Absent or empty: nothing is injected.
   */
  faults?: PageFault[];
}

// ---------------------------------------------------------------------------
// Fault injection (panel -> worker -> relay -> page; page -> relay -> worker)
// ---------------------------------------------------------------------------

export type FaultKind = 'refuse' | 'drop' | 'end' | 'hold' | 'delay';

/** Longest hold / delay a person may ask for, ms. */
export const FAULT_MAX_MS = 10 * 60 * 1000;
/** Most attempts one refuse fault may refuse. */
export const FAULT_MAX_COUNT = 1000;

/**
 * What a person asks for (`fault:add`). `tabId` is the panel's inspected tab;
 * `scope: 'project'` widens refuse / hold to every tab of `projectKey`.
 * - refuse: the next `count` SSE connection attempts (EventSource or fetch)
 *   are answered 429 with `retryAfterSec`, `limit`, `current`.
 * - drop / end: `connectionId` (a snapshot connection id) loses its stream
 *   as a network error / is ended by the "server". One-shot.
 * - hold: the tab's BroadcastChannel posts and SSE events are held back for
 *   `durationMs`, then released in order.
 * - delay: `connectionId`'s events are delivered `delayMs` late, until cleared.
 */
const FaultSpecSchema = v.object({
  kind: v.picklist(['refuse', 'drop', 'end', 'hold', 'delay']),
  tabId: id,
  scope: v.optional(v.picklist(['tab', 'project']), 'tab'),
  projectKey: v.optional(str(LIMITS.maxName)),
  connectionId: v.optional(str(128)),
  count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(FAULT_MAX_COUNT))),
  retryAfterSec: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400))),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000))),
  current: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000))),
  durationMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(FAULT_MAX_MS))),
  delayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(FAULT_MAX_MS))),
  pinned: v.optional(v.boolean(), false),
});

export type FaultSpec = v.InferOutput<typeof FaultSpecSchema>;

/** One active fault, as the worker keeps it and the snapshot shows it (`faults`). */
export interface SnapshotFault {
  id: string;
  kind: FaultKind;
  /** The tab it was asked from. */
  tabId: number;
  scope: 'tab' | 'project';
  projectKey: string | null;
  connectionId: string | null;
  /** refuse: attempts still to refuse; null for other kinds. */
  remaining: number | null;
  /** refuse: attempts refused so far. */
  refused: number;
  retryAfterSec: number | null;
  limit: number | null;
  current: number | null;
  /** hold: how long; delay: by how much. */
  durationMs: number | null;
  delayMs: number | null;
  pinned: boolean;
  createdAt: number;
  /** When it ends by itself (hold), else null. */
  endsAt: number | null;
  /** One line for people: what is injected. */
  description: string;
}

/** What the page script gets for one fault (a document's view of it). */
export interface PageFault {
  id: string;
  kind: FaultKind;
  /** Apply only to connection URLs whose query names this project (refuse, project-scoped hold). */
  projectKey: string | null;
  /** Query parameters that name a project (the settings' rules). */
  queryParams: string[];
  /** drop / end / delay: the page's own connection id in this document. */
  conn: number | null;
  remaining: number;
  retryAfterSec: number;
  limit: number;
  current: number;
  /** hold: release at this time (ms since epoch); delay: by this much (ms). */
  until: number;
  delayMs: number;
  description: string;
}

const PageFaultSchema = v.object({
  id: str(64),
  kind: v.picklist(['refuse', 'drop', 'end', 'hold', 'delay']),
  projectKey: v.nullable(str(LIMITS.maxName)),
  queryParams: v.pipe(v.array(str(64)), v.maxLength(16)),
  conn: v.nullable(id),
  remaining: count,
  retryAfterSec: count,
  limit: count,
  current: count,
  until: time,
  delayMs: count,
  description: str(LIMITS.maxMessage),
});

/** Page -> relay (same event type as batches): a fault was applied once. */
export interface PageFaultHit {
  source: typeof PAGE_SOURCE;
  v: typeof PROTOCOL_VERSION;
  faultHit: { id: string; what: 'eventsource' | 'fetch' | 'head' | 'drop' | 'end' | 'hold' | 'delay'; url: string };
}

const PageFaultHitSchema = v.object({
  source: v.literal(PAGE_SOURCE),
  v: v.literal(PROTOCOL_VERSION),
  faultHit: v.object({
    id: str(64),
    what: v.picklist(['eventsource', 'fetch', 'head', 'drop', 'end', 'hold', 'delay']),
    url: str(LIMITS.maxUrl),
  }),
});

export function parsePageFaultHit(detail: unknown): PageFaultHit['faultHit'] | null {
  if (typeof detail !== 'string' || detail.length > LIMITS.maxUrl + 512) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(detail);
  } catch {
    return null;
  }
  const r = v.safeParse(PageFaultHitSchema, raw);
  return r.success ? r.output.faultHit : null;
}

/** Relay -> worker: the page applied a fault once (refuse consumes an attempt). */
export interface RelayFaultHit {
  kind: 'relay:fault-hit';
  docId: string;
  id: string;
  what: PageFaultHit['faultHit']['what'];
  url: string;
}

const RelayFaultHitSchema = v.object({
  kind: v.literal('relay:fault-hit'),
  docId: str(64),
  id: str(64),
  what: v.picklist(['eventsource', 'fetch', 'head', 'drop', 'end', 'hold', 'delay']),
  url: str(LIMITS.maxUrl),
});

export function parseRelayFaultHit(raw: unknown): RelayFaultHit | null {
  const r = v.safeParse(RelayFaultHitSchema, raw);
  return r.success ? r.output : null;
}

const PageConfigSchema = v.object({
  kind: v.literal('config'),
  previewBytes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(LIMITS.maxPreview)),
  messageLogRate: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(LIMITS.maxMessageLogRate))),
  faults: v.optional(v.pipe(v.array(PageFaultSchema), v.maxLength(64))),
});

export function parsePageConfig(raw: unknown): PageConfig | null {
  const r = v.safeParse(PageConfigSchema, raw);
  return r.success ? r.output : null;
}

// ---------------------------------------------------------------------------
// Snapshot (public contract: docs/snapshot-format.md)
// ---------------------------------------------------------------------------

export type Transport = 'eventsource' | 'fetch';
export type ConnectionState = 'connecting' | 'open' | 'closed';
export type Role = 'leader' | 'follower' | 'standalone' | 'unknown';
export type RoleSource = 'declared' | 'lock' | 'inferred';

export interface SnapshotTab {
  tabId: number;
  url: string;
  title: string;
}

export interface SnapshotConnection {
  id: string;
  tabId: number;
  frameId: number;
  url: string;
  projectKey: string | null;
  transport: Transport;
  state: ConnectionState;
  messageCount: number;
  /** Sum of data lengths of delivered events. */
  bytes: number;
  lastEventId: string;
  /** Times the connection went from open (or connecting) back to connecting. */
  reconnects: number;
  errorCount: number;
  openedAt: number;
  closedAt: number | null;
  /** Request method: GET for an EventSource, the page's method for a fetch stream. */
  method: string;
  /** EventSource `withCredentials` (false for fetch streams). */
  withCredentials: boolean;
  /** Status of the last HTTP response seen for this connection, when known. */
  httpStatus?: number;
  /** The last refusal by the server (status >= 400), with what it said. */
  refusal?: SnapshotRefusal;
  /** Failed attempts seen for this connection (bounded, newest last). */
  failedAttempts: SnapshotRefusal[];
}

export interface SnapshotRefusal {
  at: number;
  status: number;
  retryAfterMs: number | null;
  limit: number | null;
  current: number | null;
}

export interface SnapshotChannel {
  id: string;
  tabId: number;
  name: string;
  projectKey: string | null;
  posted: number;
  received: number;
  open: boolean;
}

export interface SnapshotLock {
  id: string;
  tabId: number;
  name: string;
  projectKey: string | null;
  mode: 'exclusive' | 'shared';
  state: 'queued' | 'held' | 'released' | 'unavailable' | 'aborted';
  requestedAt: number;
  grantedAt: number | null;
  releasedAt: number | null;
}

export interface SnapshotRateLimit {
  tabId: number;
  url: string;
  projectKey: string | null;
  status: number;
  retryAfterMs: number | null;
  limit: number | null;
  current: number | null;
  at: number;
  /** Connection id the response was matched to, when it could be. */
  connectionId: string | null;
  method: string;
}

export interface SnapshotRole {
  tabId: number;
  role: Role;
  source: RoleSource;
}

export interface SnapshotAnomaly {
  kind: 'split-brain' | 'stranded-followers' | 'over-limit' | 'retry-storm' | 'origin-connection-limit';
  projectKey: string | null;
  tabIds: number[];
  message: string;
  since: number;
}

export interface SnapshotProject {
  projectKey: string;
  leaderTabIds: number[];
  followerTabIds: number[];
  roles: SnapshotRole[];
  openConnections: number;
  limit: number | null;
  /** The server's own count (`X-SSE-Current-Connections`) the last time it sent one, and when. */
  serverCurrent: number | null;
  serverAt: number | null;
  anomalies: SnapshotAnomaly[];
  /** When each tab led the project (bounded, oldest first); `to` null while it leads. */
  leaderHistory: { tabId: number; from: number; to: number | null }[];
}

export interface SnapshotStats {
  /** Events dropped by page queues before they were sent. */
  droppedByPage: number;
  /** Events that failed validation. */
  invalid: number;
  /** Log events evicted from ring buffers. */
  evicted: number;
  /** Events accepted into the model. */
  accepted: number;
}

export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  generatedAt: number;
  tabs: SnapshotTab[];
  connections: SnapshotConnection[];
  channels: SnapshotChannel[];
  locks: SnapshotLock[];
  rateLimits: SnapshotRateLimit[];
  projects: SnapshotProject[];
  anomalies: SnapshotAnomaly[];
  stats: SnapshotStats;
  /** Faults being injected (docs/faults.md); added by the worker's fault module. */
  faults?: SnapshotFault[];
  /** Deep capture (debugger) state, when the fault module knows it. */
  deepCapture?: SnapshotDeepCapture;
}

/** Deep capture: network-level SSE capture with chrome.debugger (opt-in). */
export interface SnapshotDeepCapture {
  /** Tabs the debugger is attached to. */
  tabIds: number[];
  /** Events seen at the network level, newest last (bounded). */
  events: DeepEvent[];
}

export interface DeepEvent {
  tabId: number;
  /** CDP request id. */
  requestId: string;
  url: string;
  kind: 'response' | 'message' | 'end';
  t: number;
  status?: number;
  headers?: Record<string, string>;
  type?: string;
  preview?: string;
  lastEventId?: string;
  /** Always 'network' for events from deep capture; the panel merges them with the wrapper's 'page' view. */
  source: 'network';
}

// ---------------------------------------------------------------------------
// Runtime messages (any extension page -> worker, via runtime.sendMessage)
// ---------------------------------------------------------------------------

/** User settings (storage.sync). */
export interface Settings {
  /** How a project key is found in URLs and channel / lock names. */
  projectKeyRules: { queryParams: string[]; namePattern: string; nameGroup: number };
  /** Length of the data preview the page script keeps per event. */
  previewBytes: number;
  /** Log entries the worker keeps (oldest evicted first). */
  logEntries: number;
  /**
   * Messages (SSE messages, BroadcastChannel posts and receipts) logged one
   * by one, per second per connection or channel, in bursts of up to as
   * many; the others are counted in a summary entry. Plain Web Lock requests
   * that are granted and released within one batch, likewise per lock name.
   * 0: every message and request.
   */
  messageLogRate: number;
}

export const DEFAULT_SETTINGS: Settings = {
  projectKeyRules: { queryParams: ['projectId', 'project_id', 'project'], namePattern: '^(chat|sse|project)[-:_](.+)$', nameGroup: 2 },
  previewBytes: LIMITS.defaultPreview,
  logEntries: 100_000,
  messageLogRate: LIMITS.defaultMessageLogRate,
};

const SettingsPatchSchema = v.object({
  projectKeyRules: v.optional(
    v.object({
      queryParams: v.pipe(v.array(str(64)), v.maxLength(16)),
      namePattern: v.pipe(
        str(256),
        v.check((p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        }, 'not a valid regular expression'),
      ),
      nameGroup: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(9)),
    }),
  ),
  previewBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(LIMITS.maxPreview))),
  logEntries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(1_000_000))),
  messageLogRate: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(LIMITS.maxMessageLogRate))),
});

export type SettingsPatch = v.InferOutput<typeof SettingsPatchSchema>;

/** Validate a settings patch; returns an error message for a bad one. */
export function parseSettingsPatch(raw: unknown): { ok: true; patch: SettingsPatch } | { ok: false; error: string } {
  const r = v.safeParse(SettingsPatchSchema, raw);
  if (r.success) return { ok: true, patch: r.output };
  const issue = r.issues[0];
  const where = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
  return { ok: false, error: `${where ? where + ': ' : ''}${issue?.message ?? 'invalid settings'}` };
}

export type RuntimeRequest =
  | { kind: 'snapshot:get'; tabId?: number }
  | { kind: 'capture:clear'; tabId?: number }
  | { kind: 'settings:get' }
  | { kind: 'settings:set'; settings: unknown }
  | FaultRequest;

/** Fault injection and deep capture requests (extension pages only). */
export type FaultRequest =
  | { kind: 'fault:add'; fault: FaultSpec }
  /** Clear one fault by id, every fault of a tab, or every fault. */
  | { kind: 'fault:clear'; id?: string; tabId?: number }
  | { kind: 'fault:list' }
  | { kind: 'deep:start'; tabId: number }
  | { kind: 'deep:stop'; tabId: number };

const FaultRequestSchemas = [
  v.object({ kind: v.literal('fault:add'), fault: FaultSpecSchema }),
  v.object({ kind: v.literal('fault:clear'), id: v.optional(str(64)), tabId: v.optional(id) }),
  v.object({ kind: v.literal('fault:list') }),
  v.object({ kind: v.literal('deep:start'), tabId: id }),
  v.object({ kind: v.literal('deep:stop'), tabId: id }),
] as const;

const RuntimeRequestSchema = v.variant('kind', [
  v.object({ kind: v.literal('snapshot:get'), tabId: v.optional(id) }),
  v.object({ kind: v.literal('capture:clear'), tabId: v.optional(id) }),
  v.object({ kind: v.literal('settings:get') }),
  v.object({ kind: v.literal('settings:set'), settings: v.unknown() }),
  ...FaultRequestSchemas,
]);

export function isFaultRequest(r: RuntimeRequest): r is FaultRequest {
  return r.kind.startsWith('fault:') || r.kind.startsWith('deep:');
}

export function parseRuntimeRequest(raw: unknown): RuntimeRequest | null {
  const r = v.safeParse(RuntimeRequestSchema, raw);
  return r.success ? r.output : null;
}

// ---------------------------------------------------------------------------
// Event log (worker -> panel, and the `events` of an export)
// ---------------------------------------------------------------------------

export type LogKind = PageEventKind | 'net:response' | 'doc:gone' | 'doc:restored';

/** One captured event as the log keeps it. Every string in it is page data. */
export interface LogEntry {
  /** Increasing sequence number, unique for the capture. */
  seq: number;
  t: number;
  tabId: number;
  frameId: number;
  kind: LogKind;
  /** Id of the connection, channel or lock the event is about. */
  ref: string | null;
  /** URL, channel name or lock name. */
  name: string;
  type?: string;
  preview?: string;
  size?: number;
  lastEventId?: string;
  readyState?: number;
  status?: number;
  /** Short description (e.g. lock mode, role, header summary). */
  info?: string;
  /** Summary entries (`*-summary`): how many messages, and the time of the first of them (`t` is the last's). */
  count?: number;
  since?: number;
}

// ---------------------------------------------------------------------------
// Worker -> panel (port PANEL_PORT_PREFIX + tabId)
// ---------------------------------------------------------------------------

export type PanelMessage =
  | { kind: 'panel:snapshot'; snapshot: Snapshot }
  /** Log entries appended since the last message; `reset` replaces the panel's log. */
  | { kind: 'panel:log'; entries: LogEntry[]; reset: boolean };

/**
 * What a panel port carries from the worker: the store's messages, except
 * that the log a panel gets when it subscribes arrives newest first
 * (`src/shared/panel-feed.ts`): `feed:head` with the newest entries and how
 * many older ones there are, then `feed:older` chunks, each sent when the
 * panel asks with `feed:more`. `load` ties the chunks to their head.
 */
export type FeedMessage =
  | PanelMessage
  | { kind: 'feed:head'; load: number; entries: LogEntry[]; older: number }
  | { kind: 'feed:older'; load: number; entries: LogEntry[]; remaining: number };

/** Panel -> worker on the same port: the next older chunk of that load, please. */
export type FeedRequest = { kind: 'feed:more'; load: number };

export function isFeedRequest(x: unknown): x is FeedRequest {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'feed:more' && Number.isSafeInteger((x as { load?: unknown }).load);
}

export function panelPortName(tabId: number): string {
  return `${PANEL_PORT_PREFIX}${tabId}`;
}

export function tabIdFromPanelPort(name: string): number | null {
  if (!name.startsWith(PANEL_PORT_PREFIX)) return null;
  const n = Number(name.slice(PANEL_PORT_PREFIX.length));
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Exhaustiveness helper for `switch` on `kind`. */
export function assertNever(x: never): never {
  throw new Error(`unhandled kind: ${JSON.stringify(x)}`);
}
