/**
 * Export and import of a capture: the snapshot format (docs/snapshot-format.md)
 * plus an `events` array of LogEntry. An imported file is as hostile as page
 * data: it is parsed with the valibot schemas below (unknown keys dropped,
 * strings, arrays and numbers bounded) before the panel looks at it.
 */
import * as v from 'valibot';
import { LIMITS, SNAPSHOT_SCHEMA_VERSION, type LogEntry, type LogKind, type Snapshot } from '../../shared/protocol';
import { ALL_KINDS } from './kinds';

export interface Capture extends Snapshot {
  events: LogEntry[];
}

/** Largest file the panel reads (characters). */
export const MAX_CAPTURE_CHARS = 512 * 1024 * 1024;
/** Most events an import keeps. */
export const MAX_CAPTURE_EVENTS = 1_000_000;
const MAX_ITEMS = 100_000;

export function buildCapture(snapshot: Snapshot, events: readonly LogEntry[]): Capture {
  return { ...snapshot, events: events.slice() };
}

export function captureFileName(generatedAt: number): string {
  const d = new Date(generatedAt);
  const p = (n: number) => String(n).padStart(2, '0');
  return `sse-capture-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.json`;
}

const str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const int = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const anyInt = v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(Number.MAX_SAFE_INTEGER));
const time = v.pipe(v.number(), v.finite(), v.minValue(0));
const list = <T extends v.GenericSchema>(item: T, max = MAX_ITEMS) => v.pipe(v.array(item), v.maxLength(max));
const nullable = <T extends v.GenericSchema>(s: T) => v.nullable(s);
const projectKey = nullable(str(LIMITS.maxName));
const kind = v.picklist(ALL_KINDS as [LogKind, ...LogKind[]]);

const Refusal = v.object({
  at: time,
  status: v.pipe(int, v.maxValue(999)),
  retryAfterMs: nullable(int),
  limit: nullable(int),
  current: nullable(int),
});

const Connection = v.object({
  id: str(128),
  tabId: int,
  frameId: anyInt,
  url: str(LIMITS.maxUrl),
  projectKey,
  transport: v.picklist(['eventsource', 'fetch']),
  state: v.picklist(['connecting', 'open', 'closed']),
  messageCount: int,
  bytes: int,
  lastEventId: str(LIMITS.maxName),
  reconnects: int,
  errorCount: int,
  openedAt: time,
  closedAt: nullable(time),
  // Added after the first exports: optional, with the defaults they had.
  method: v.optional(str(16), 'GET'),
  withCredentials: v.optional(v.boolean(), false),
  httpStatus: v.optional(v.pipe(int, v.maxValue(999))),
  refusal: v.optional(Refusal),
  failedAttempts: list(Refusal, 1000),
});

const Anomaly = v.object({
  kind: v.picklist(['split-brain', 'stranded-followers', 'over-limit', 'retry-storm', 'origin-connection-limit']),
  projectKey,
  tabIds: list(int, 10_000),
  message: str(LIMITS.maxMessage * 4),
  since: time,
});

const role = v.picklist(['leader', 'follower', 'standalone', 'unknown']);
const roleSource = v.picklist(['declared', 'lock', 'inferred']);

const Project = v.object({
  projectKey: str(LIMITS.maxName),
  leaderTabIds: list(int, 10_000),
  followerTabIds: list(int, 10_000),
  roles: list(v.object({ tabId: int, role, source: roleSource }), 10_000),
  openConnections: int,
  limit: nullable(int),
  serverCurrent: v.optional(nullable(int), null),
  serverAt: v.optional(nullable(time), null),
  anomalies: list(Anomaly, 1000),
  leaderHistory: list(v.object({ tabId: int, from: time, to: nullable(time) }), 10_000),
});

const Entry = v.object({
  seq: int,
  t: time,
  tabId: int,
  frameId: anyInt,
  kind,
  ref: nullable(str(128)),
  name: str(LIMITS.maxUrl),
  type: v.optional(str(LIMITS.maxName)),
  preview: v.optional(str(LIMITS.maxPreview)),
  size: v.optional(int),
  lastEventId: v.optional(str(LIMITS.maxName)),
  readyState: v.optional(v.pipe(int, v.maxValue(2))),
  status: v.optional(v.pipe(int, v.maxValue(999))),
  info: v.optional(str(LIMITS.maxMessage * 4)),
  // Summary entries (message log rate).
  count: v.optional(int),
  since: v.optional(time),
});

/**
 * Optional parts a newer worker adds to the snapshot (fault injection, deep
 * capture). The panel does not show them yet; they are validated so that an
 * export imports and exports again unchanged.
 */
const Fault = v.object({
  id: str(128),
  kind: v.picklist(['refuse', 'drop', 'end', 'hold', 'delay']),
  tabId: int,
  scope: v.picklist(['tab', 'project']),
  projectKey,
  connectionId: nullable(str(128)),
  remaining: nullable(int),
  refused: int,
  retryAfterSec: nullable(int),
  limit: nullable(int),
  current: nullable(int),
  durationMs: nullable(int),
  delayMs: nullable(int),
  pinned: v.boolean(),
  createdAt: time,
  endsAt: nullable(time),
  description: str(LIMITS.maxMessage),
});

const DeepEvent = v.object({
  tabId: int,
  requestId: str(128),
  url: str(LIMITS.maxUrl),
  kind: v.picklist(['response', 'message', 'end']),
  t: time,
  status: v.optional(v.pipe(int, v.maxValue(999))),
  headers: v.optional(
    v.pipe(
      v.record(str(128), str(LIMITS.maxHeaderValue)),
      v.check((h) => Object.keys(h).length <= LIMITS.maxHeaders, 'too many headers'),
    ),
  ),
  type: v.optional(str(LIMITS.maxName)),
  preview: v.optional(str(LIMITS.maxPreview)),
  lastEventId: v.optional(str(LIMITS.maxName)),
  source: v.literal('network'),
});

const CaptureSchema = v.object({
  schemaVersion: v.literal(SNAPSHOT_SCHEMA_VERSION),
  generatedAt: time,
  tabs: list(v.object({ tabId: int, url: str(LIMITS.maxUrl), title: str(LIMITS.maxName * 2) }), 10_000),
  connections: list(Connection),
  channels: list(
    v.object({
      id: str(128),
      tabId: int,
      name: str(LIMITS.maxName),
      projectKey,
      posted: int,
      received: int,
      open: v.boolean(),
    }),
  ),
  locks: list(
    v.object({
      id: str(128),
      tabId: int,
      name: str(LIMITS.maxName),
      projectKey,
      mode: v.picklist(['exclusive', 'shared']),
      state: v.picklist(['queued', 'held', 'released', 'unavailable', 'aborted']),
      requestedAt: time,
      grantedAt: nullable(time),
      releasedAt: nullable(time),
    }),
  ),
  rateLimits: list(
    v.object({
      tabId: int,
      url: str(LIMITS.maxUrl),
      projectKey,
      status: v.pipe(int, v.maxValue(999)),
      retryAfterMs: nullable(int),
      limit: nullable(int),
      current: nullable(int),
      at: time,
      connectionId: nullable(str(128)),
      method: str(16),
    }),
  ),
  projects: list(Project, 10_000),
  anomalies: list(Anomaly, 10_000),
  stats: v.object({ droppedByPage: int, invalid: int, evicted: int, accepted: int }),
  faults: v.optional(list(Fault, 1000)),
  deepCapture: v.optional(v.object({ tabIds: list(int, 10_000), events: list(DeepEvent) })),
  events: list(Entry, MAX_CAPTURE_EVENTS),
});

export type ImportResult = { ok: true; capture: Capture } | { ok: false; error: string };

/** Parse a capture file's text. Errors say where and what, for the user. */
export function parseCapture(text: string): ImportResult {
  if (text.length > MAX_CAPTURE_CHARS) return { ok: false, error: `The file is too large (over ${MAX_CAPTURE_CHARS / 1024 / 1024} MB).` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The file is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: 'The file is not a capture: expected a JSON object with schemaVersion, connections, … and events.' };
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (version !== SNAPSHOT_SCHEMA_VERSION) {
    return {
      ok: false,
      error: `Unsupported capture: schemaVersion is ${JSON.stringify(version) ?? 'missing'}, this panel reads version ${SNAPSHOT_SCHEMA_VERSION}.`,
    };
  }
  const r = v.safeParse(CaptureSchema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const where = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
    return { ok: false, error: `The capture is not valid${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown problem'}` };
  }
  const capture = r.output as Capture;
  // The log is ordered by seq; a file that is not must not confuse the views.
  capture.events.sort((a, b) => a.seq - b.seq);
  return { ok: true, capture };
}
