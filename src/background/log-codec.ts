/**
 * Compact form of a stored log chunk. The entries of a chunk repeat the same
 * keys and mostly the same strings (kind, connection id, URL or channel
 * name, event type), and what goes to storage.session costs the worker by
 * the byte (and counts against its quota). So a chunk is stored as
 *
 *   {"v":2,"strings":[...],"rows":[[mask, value, ...], ...]}
 *
 * where `mask` says which of FIELDS the entry has (bit i: FIELDS[i]), the
 * values follow in FIELDS order, and a string of an interned field is its
 * index in `strings`. Two more bits shorten what changes least between
 * neighbours: SEQ_NEXT, the sequence number is the previous entry's plus one
 * (and left out); T_DELTA, the time (whole milliseconds) is stored as the
 * difference to the previous entry's. An entry this cannot reproduce exactly (a key not in
 * FIELDS, keys in another order, an undefined value, a number where a string
 * is interned) is stored as it is, as an object row. Decoding gives back
 * entries equal to the originals, with their keys in the same order.
 */
import type { LogEntry } from '../shared/protocol';

/** The fields of a log entry, in the order the reducer writes them. */
export const FIELDS = [
  'seq',
  't',
  'tabId',
  'frameId',
  'kind',
  'ref',
  'name',
  'type',
  'preview',
  'size',
  'lastEventId',
  'readyState',
  'status',
  'info',
] as const;

/** Mask bit: `seq` is left out, it is the previous entry's plus one. */
const SEQ_NEXT = 1 << FIELDS.length;
/** Mask bit: `t` is stored as the difference to the previous entry's. */
const T_DELTA = 1 << (FIELDS.length + 1);
const SEQ = 0;
const T = 1;

/** Fields whose strings repeat within a chunk: stored once in `strings`. */
const INTERNED = FIELDS.map((f) => f === 'kind' || f === 'ref' || f === 'name' || f === 'type' || f === 'info');

export interface StoredChunk {
  v: 2;
  strings: string[];
  rows: (unknown[] | LogEntry)[];
}

/** The rows of one chunk being written, as JSON, with its string table. */
export class ChunkRows {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** JSON of the rows so far, without the enclosing brackets. */
  private json = '';
  /** seq and t of the last entry added (NaN when not numbers). */
  private prevSeq = NaN;
  private prevT = NaN;

  /** Append the rows of `entries` (one JSON conversion for all of them). */
  add(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    const rows: (unknown[] | LogEntry)[] = new Array<unknown[] | LogEntry>(entries.length);
    for (let i = 0; i < entries.length; i++) rows[i] = this.row(entries[i]!);
    const added = JSON.stringify(rows).slice(1, -1);
    this.json = this.json === '' ? added : `${this.json},${added}`;
  }

  /** The chunk as stored. */
  toJSON(): string {
    return `{"v":2,"strings":${JSON.stringify(this.strings)},"rows":[${this.json}]}`;
  }

  private intern(s: string): number {
    let n = this.index.get(s);
    if (n === undefined) {
      n = this.strings.length;
      this.strings.push(s);
      this.index.set(s, n);
    }
    return n;
  }

  private row(e: LogEntry): unknown[] | LogEntry {
    const { prevSeq, prevT } = this;
    this.prevSeq = typeof e.seq === 'number' ? e.seq : NaN;
    this.prevT = typeof e.t === 'number' ? e.t : NaN;
    const row: unknown[] = [0];
    let mask = 0;
    let last = -1;
    const record = e as unknown as Record<string, unknown>;
    for (const key in record) {
      // Keys come in FIELDS order: find this one after the last (internalized
      // strings: comparisons are cheap).
      let i = last + 1;
      while (i < FIELDS.length && FIELDS[i] !== key) i++;
      const value = record[key];
      if (i === FIELDS.length || value === undefined) return e;
      last = i;
      mask |= 1 << i;
      if (INTERNED[i] && value !== null) {
        if (typeof value !== 'string') return e;
        row.push(this.intern(value));
      } else if (i === SEQ && value === prevSeq + 1) mask |= SEQ_NEXT;
      else if (i === T && Number.isSafeInteger(value) && Number.isSafeInteger(prevT) && prevT + ((value as number) - prevT) === value) {
        mask |= T_DELTA;
        row.push((value as number) - prevT);
      } else row.push(value);
    }
    row[0] = mask;
    return row;
  }
}

/**
 * The entries of a stored chunk: the compact form above, or (older
 * versions) an array of entries. Anything else gives null.
 */
export function decodeChunk(value: unknown): LogEntry[] | null {
  if (Array.isArray(value)) return value as LogEntry[];
  if (!value || typeof value !== 'object') return null;
  const chunk = value as Partial<StoredChunk>;
  if (chunk.v !== 2 || !Array.isArray(chunk.rows) || !Array.isArray(chunk.strings)) return null;
  const { strings } = chunk;
  const out: LogEntry[] = [];
  let prevSeq = NaN;
  let prevT = NaN;
  for (const row of chunk.rows) {
    let e: Record<string, unknown>;
    if (!Array.isArray(row)) {
      if (!row || typeof row !== 'object') continue;
      e = row as unknown as Record<string, unknown>;
    } else {
      const mask = row[0] as number;
      e = {};
      let k = 1;
      for (let i = 0; i < FIELDS.length; i++) {
        if ((mask & (1 << i)) === 0) continue;
        if (i === SEQ && mask & SEQ_NEXT) {
          e.seq = prevSeq + 1;
          continue;
        }
        const v: unknown = row[k++];
        if (i === T && mask & T_DELTA) e.t = prevT + (v as number);
        else e[FIELDS[i]!] = INTERNED[i] && typeof v === 'number' ? strings[v] : v;
      }
    }
    prevSeq = typeof e.seq === 'number' ? e.seq : NaN;
    prevT = typeof e.t === 'number' ? e.t : NaN;
    out.push(e as unknown as LogEntry);
  }
  return out;
}
