/**
 * Serialising the model for storage.session, so that a stopped and restarted
 * worker carries on where it was. The core (everything but the log) is one
 * key; the log is kept in chunks of LOG_CHUNK entries by sequence number, so
 * a write touches only the chunks that changed.
 *
 * Values are written as JSON strings: the extension API converts a string to
 * the browser's value type with one copy, but an object property by property,
 * which cost the worker far more than building its state. Log chunks are in
 * a compact form (log-codec.ts: keys and repeated strings once per chunk),
 * each entry encoded once (ChunkEncoder), however often the chunk is written
 * while it fills. Values written as objects by an older version still
 * restore.
 */
import type { LogEntry } from '../shared/protocol';
import { ChunkRows, decodeChunk } from './log-codec';
import { emptyState, type State } from './state';

export const CORE_KEY = 'session:core';
export const LOG_CHUNK = 1000;
export const logKey = (chunk: number) => `session:log:${chunk}`;
export const chunkOf = (seq: number) => Math.floor(seq / LOG_CHUNK);

type Entries<M> = M extends Map<infer K, infer V> ? [K, V][] : never;

export interface PersistedCore {
  v: 1;
  tabs: Entries<State['tabs']>;
  docs: Entries<State['docs']>;
  connections: Entries<State['connections']>;
  channels: Entries<State['channels']>;
  locks: Entries<State['locks']>;
  declared: Entries<State['declared']>;
  rateLimits: State['rateLimits'];
  pendingNet: State['pendingNet'];
  serverLimits: Entries<State['serverLimits']>;
  retryViolations: State['retryViolations'];
  projects: Entries<State['projects']>;
  stats: State['stats'];
  seq: number;
}

export function serializeCore(s: State): PersistedCore {
  return {
    v: 1,
    tabs: [...s.tabs],
    docs: [...s.docs],
    connections: [...s.connections],
    channels: [...s.channels],
    locks: [...s.locks],
    declared: [...s.declared],
    rateLimits: s.rateLimits,
    pendingNet: s.pendingNet,
    serverLimits: [...s.serverLimits],
    retryViolations: s.retryViolations,
    projects: [...s.projects],
    stats: s.stats,
    seq: s.seq,
  };
}

/** The core as stored: a JSON string of serializeCore. */
export function encodeCore(s: State): string {
  return JSON.stringify(serializeCore(s));
}

/**
 * Stored form of log chunks (see log-codec.ts), kept for the chunks written
 * last: a chunk that is written again (it was still filling) only encodes
 * the entries added since. The log's entries never change once appended,
 * and their sequence numbers only grow, so a chunk whose first entries are
 * the ones encoded before (same first and same n-th sequence number) starts
 * with the same rows.
 */
export class ChunkEncoder {
  private cache = new Map<number, { firstSeq: number; lastSeq: number; count: number; rows: ChunkRows }>();
  /** Entries encoded so far (for tests). */
  encoded = 0;

  /** `entries` (all of chunk `chunk`, in log order, non-empty) as stored. */
  encode(chunk: number, entries: readonly LogEntry[]): string {
    const hit = this.cache.get(chunk);
    let rows: ChunkRows;
    let from = 0;
    if (
      hit &&
      hit.count <= entries.length &&
      entries[0]?.seq === hit.firstSeq &&
      entries[hit.count - 1]?.seq === hit.lastSeq
    ) {
      rows = hit.rows;
      from = hit.count;
    } else rows = new ChunkRows();
    if (from < entries.length) {
      rows.add(from === 0 ? entries : entries.slice(from));
      this.encoded += entries.length - from;
    }
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (first && last) {
      this.cache.set(chunk, { firstSeq: first.seq, lastSeq: last.seq, count: entries.length, rows });
      // Only the newest chunks are written again; older ones are full.
      for (const n of this.cache.keys()) if (n < chunk - 1) this.cache.delete(n);
    }
    return rows.toJSON();
  }

  /** Forget everything (the log was cleared or rebuilt). */
  reset(): void {
    this.cache.clear();
  }
}

/** A stored value that should hold JSON: a string is parsed, anything else is taken as it is. */
function decoded(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** Entries of the log that fall in one chunk (the log is ordered by seq). */
export function chunkEntries(log: readonly LogEntry[], chunk: number): LogEntry[] {
  const lo = chunk * LOG_CHUNK;
  const hi = lo + LOG_CHUNK;
  let a = 0;
  let b = log.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if ((log[mid]?.seq ?? 0) < lo) a = mid + 1;
    else b = mid;
  }
  const out: LogEntry[] = [];
  for (let i = a; i < log.length; i++) {
    const e = log[i];
    if (!e || e.seq >= hi) break;
    out.push(e);
  }
  return out;
}

/** Rebuild the model from what storage.session holds; a bad or missing core gives an empty model. */
export function restoreState(items: Record<string, unknown>): State {
  const state = emptyState();
  const core = decoded(items[CORE_KEY]) as PersistedCore | undefined;
  if (!core || typeof core !== 'object' || core.v !== 1) return state;
  state.tabs = new Map(core.tabs);
  state.docs = new Map(core.docs);
  state.connections = new Map(core.connections);
  state.channels = new Map(core.channels);
  state.locks = new Map(core.locks);
  state.declared = new Map(core.declared);
  state.rateLimits = core.rateLimits;
  state.pendingNet = core.pendingNet;
  state.serverLimits = new Map(core.serverLimits);
  state.retryViolations = core.retryViolations;
  state.projects = new Map(core.projects);
  state.stats = core.stats;
  state.seq = core.seq;
  const chunks = Object.keys(items)
    .filter((k) => k.startsWith('session:log:'))
    .map((k) => Number(k.slice('session:log:'.length)))
    .filter((n) => Number.isSafeInteger(n))
    .sort((a, b) => a - b);
  for (const n of chunks) {
    const entries = decodeChunk(decoded(items[logKey(n)]));
    // Log chunks are written before the core: entries the core does not
    // cover yet (a write the worker did not finish) are left out.
    if (entries) for (const e of entries) if (e.seq < state.seq) state.log.push(e);
  }
  state.logChars = state.log.reduce((n, e) => n + (e.preview?.length ?? 0), 0);
  return state;
}
