/**
 * The event log's filter: a compiled spec, a predicate, and an index of
 * matching positions that is kept up to date incrementally (only new entries
 * are looked at), so that a live log of 100,000 entries costs O(new) per
 * update, and a full rescan happens only when the filter or the log changes.
 */
import type { LogEntry, LogKind } from '../../shared/protocol';
import { kindsOf } from './kinds';
import type { LogView } from './log-view';

export interface FilterInput {
  /** '' for all, a group id or one kind (see kinds.ts). */
  kind: string;
  /** Connection id ('' for any). */
  connectionId: string;
  /** Channel name ('' for any). */
  channel: string;
  text: string;
  regex: boolean;
  /** Only entries of this tab (null: every tab). */
  tabId: number | null;
  /** Hide entries of `tabId` up to this sequence number (preserve log off). */
  hideUpToSeq: number | null;
}

export const EMPTY_FILTER: FilterInput = {
  kind: '',
  connectionId: '',
  channel: '',
  text: '',
  regex: false,
  tabId: null,
  hideUpToSeq: null,
};

export interface CompiledFilter {
  readonly input: FilterInput;
  readonly test: (e: LogEntry) => boolean;
  /** True when the filter lets every entry through (no scan needed). */
  readonly all: boolean;
}

export type CompileResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

/** Longest pattern accepted; a long pattern is almost certainly a paste mistake. */
export const MAX_PATTERN = 1000;

/** Compile a user's text or regex; a bad regex is an error message, not an exception. */
export function compileText(text: string, regex: boolean): { ok: true; match: ((s: string) => boolean) | null } | { ok: false; error: string } {
  if (text === '') return { ok: true, match: null };
  if (text.length > MAX_PATTERN) return { ok: false, error: `pattern longer than ${MAX_PATTERN} characters` };
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(text, 'i');
    } catch (error) {
      return { ok: false, error: `invalid regular expression: ${error instanceof Error ? error.message : String(error)}` };
    }
    return { ok: true, match: (s) => re.test(s) };
  }
  const needle = text.toLowerCase();
  return { ok: true, match: (s) => s.toLowerCase().includes(needle) };
}

/** Does any searchable field of the entry match? Fields are tested one by one, so ^ and $ anchor to a field. */
export function matchesText(e: LogEntry, match: (s: string) => boolean): boolean {
  return (
    match(e.name) ||
    (e.preview !== undefined && match(e.preview)) ||
    (e.type !== undefined && match(e.type)) ||
    (e.info !== undefined && match(e.info)) ||
    (e.lastEventId !== undefined && e.lastEventId !== '' && match(e.lastEventId)) ||
    (e.status !== undefined && match(String(e.status)))
  );
}

export function compileFilter(input: FilterInput): CompileResult {
  const text = compileText(input.text, input.regex);
  if (!text.ok) return text;
  const kinds: ReadonlySet<LogKind> | null = kindsOf(input.kind);
  const { connectionId, channel, tabId, hideUpToSeq } = input;
  const match = text.match;
  const all = kinds === null && connectionId === '' && channel === '' && match === null && tabId === null;
  const test = (e: LogEntry): boolean => {
    if (tabId !== null) {
      if (e.tabId !== tabId) return false;
      if (hideUpToSeq !== null && e.seq <= hideUpToSeq) return false;
    }
    if (kinds !== null && !kinds.has(e.kind)) return false;
    if (connectionId !== '' && e.ref !== connectionId) return false;
    if (channel !== '' && (!e.kind.startsWith('bc:') || e.name !== channel)) return false;
    if (match !== null && !matchesText(e, match)) return false;
    return true;
  };
  return { ok: true, filter: { input, test, all } };
}

/** Matching absolute positions of a log view. */
export interface FilterIndex {
  readonly filter: CompiledFilter;
  readonly epoch: number;
  /** Absolute positions scanned so far: [scannedFrom, scannedTo). */
  readonly scannedFrom: number;
  readonly scannedTo: number;
  /**
   * Matches among older entries loaded in front, newest first (so adding
   * older ones is a push): `front[0 .. frontLength)` belong to this index.
   */
  readonly front: number[];
  readonly frontLength: number;
  /** Matching positions, ascending, after the front: `matches[head .. length)` belong to this index. */
  readonly matches: number[];
  readonly head: number;
  readonly length: number;
  /** Matches added before the first one since the index was built (older entries loaded later); lists keep their scroll place with it. */
  readonly prepended: number;
  /** Entries looked at by the update that made this index. */
  readonly scanned: number;
}

export function indexSize(index: FilterIndex): number {
  return index.frontLength + index.length - index.head;
}

/** Absolute position of the i-th match (0 = oldest shown). */
export function matchAt(index: FilterIndex, i: number): number | undefined {
  if (i < 0) return undefined;
  if (i < index.frontLength) return index.front[index.frontLength - 1 - i];
  const j = index.head + i - index.frontLength;
  return j < index.length ? index.matches[j] : undefined;
}

function scan(view: LogView, filter: CompiledFilter, from: number, to: number, out: number[]): void {
  const { arr, offset } = view;
  if (filter.all) {
    for (let pos = from; pos < to; pos++) out.push(pos);
    return;
  }
  const test = filter.test;
  for (let pos = from; pos < to; pos++) {
    const e = arr[pos - offset];
    if (e !== undefined && test(e)) out.push(pos);
  }
}

/** Like `scan`, newest first. */
function scanDown(view: LogView, filter: CompiledFilter, from: number, to: number, out: number[]): void {
  const { arr, offset } = view;
  const test = filter.test;
  for (let pos = to - 1; pos >= from; pos--) {
    const e = arr[pos - offset];
    if (e !== undefined && (filter.all || test(e))) out.push(pos);
  }
}

/**
 * Bring `previous` up to date with `view` for `filter`: scans only entries it
 * has not seen (new ones after the end, older ones loaded before the start)
 * when the filter and epoch are unchanged, else everything.
 * Like the log, the arrays are shared and only appended past the newest
 * index's lengths, so an older index keeps meaning what it meant.
 */
export function updateIndex(previous: FilterIndex | null, view: LogView, filter: CompiledFilter): FilterIndex {
  const reuse =
    previous !== null &&
    previous.filter === filter &&
    previous.epoch === view.epoch &&
    previous.scannedTo <= view.end &&
    previous.scannedTo >= view.start;
  let front: number[] = [];
  let frontLength = 0;
  let matches: number[];
  let head: number;
  let prepended = 0;
  let scanned = 0;
  if (reuse) {
    prepended = previous.prepended;
    front = previous.front;
    frontLength = previous.frontLength;
    if (view.start < previous.scannedFrom) {
      // Older entries arrived in front: scan them, newest first, onto the front.
      if (front.length !== frontLength) front = front.slice(0, frontLength);
      scanDown(view, filter, view.start, previous.scannedFrom, front);
      scanned += previous.scannedFrom - view.start;
      prepended += front.length - frontLength;
      frontLength = front.length;
    }
    matches = previous.matches.length === previous.length ? previous.matches : previous.matches.slice(0, previous.length);
    head = previous.head;
  } else {
    matches = [];
    head = 0;
  }
  const from = reuse ? previous.scannedTo : view.start;
  scan(view, filter, from, view.end, matches);
  scanned += view.end - from;
  // Evicted entries leave the front: the oldest are at the end of `front`, then at `head`.
  while (frontLength > 0 && (front[frontLength - 1] ?? 0) < view.start) frontLength--;
  if (frontLength === 0) {
    front = [];
    while (head < matches.length && (matches[head] ?? 0) < view.start) head++;
  }
  if (head > 4096 && head > matches.length / 2) {
    matches = matches.slice(head);
    head = 0;
  }
  return { filter, epoch: view.epoch, scannedFrom: view.start, scannedTo: view.end, front, frontLength, matches, head, length: matches.length, prepended, scanned };
}

/**
 * The entry with sequence number `seq` among the index's matches, by binary
 * search (positions and sequence numbers both increase), or null.
 */
export function findInIndex(index: FilterIndex, entryOf: (pos: number) => LogEntry | undefined, seq: number): { i: number; entry: LogEntry } | null {
  let a = 0;
  let b = indexSize(index) - 1;
  while (a <= b) {
    const mid = (a + b) >> 1;
    const pos = matchAt(index, mid);
    const e = pos === undefined ? undefined : entryOf(pos);
    if (!e) return null;
    if (e.seq === seq) return { i: mid, entry: e };
    if (e.seq < seq) a = mid + 1;
    else b = mid - 1;
  }
  return null;
}
