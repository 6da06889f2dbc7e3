/**
 * The panel's copy of the event log, kept so that appending k entries costs
 * O(k), not O(n): a view is a window [start, end) of absolute positions over
 * a shared, append-only array. Appending writes past the newest view's end,
 * where no older view looks, so every view a component or a paused log still
 * holds keeps showing exactly what it showed (the functions below are pure
 * for their callers). Absolute positions never change within an epoch, so
 * filter indexes built over one view stay valid for the next.
 */
import type { LogEntry } from '../../shared/protocol';

export interface LogView {
  /** Shared backing array; `arr[i - offset]` is the entry at absolute position i. */
  readonly arr: LogEntry[];
  /** Absolute position of `arr[0]`. */
  readonly offset: number;
  /** First absolute position in the view. */
  readonly start: number;
  /** One past the last absolute position in the view. */
  readonly end: number;
  /** Changes when the log is replaced; positions of different epochs are unrelated. */
  readonly epoch: number;
}

export const emptyLogView = (epoch = 0): LogView => ({ arr: [], offset: 0, start: 0, end: 0, epoch });

export function logSize(view: LogView): number {
  return view.end - view.start;
}

/** Entry at absolute position `pos` (must be within the view). */
export function entryAt(view: LogView, pos: number): LogEntry | undefined {
  if (pos < view.start || pos >= view.end) return undefined;
  return view.arr[pos - view.offset];
}

/** Entries of the view, oldest first (a copy; O(n), for export and tests). */
export function logEntries(view: LogView): LogEntry[] {
  return view.arr.slice(view.start - view.offset, view.end - view.offset);
}

/**
 * Lowest absolute position written in a backing array that was made with
 * room in front (`replaceLog`'s `room`): below it, down to the view's
 * `offset`, nothing has been written and no view looks, so older entries can
 * be written there in place.
 */
const written = new WeakMap<LogEntry[], number>();

/**
 * A new log holding `entries` (newest `limit` kept), the first at absolute
 * position `first`, with room in front for `room` older entries still to
 * come (`prependLog`; bounded by `limit`).
 */
export function replaceLog(previous: LogView, entries: readonly LogEntry[], limit: number, first = 0, room = 0): LogView {
  const kept = entries.length > limit ? entries.slice(entries.length - limit) : entries;
  const start = first + entries.length - kept.length;
  const reserve = Math.max(0, Math.min(room, first, limit - kept.length));
  if (reserve === 0) {
    const arr = kept === entries ? entries.slice() : (kept as LogEntry[]);
    return { arr, offset: start, start, end: start + kept.length, epoch: previous.epoch + 1 };
  }
  // Filled, so the array keeps fast elements; the filler is never read (positions < start).
  const arr = new Array<LogEntry>(reserve + kept.length).fill(undefined as unknown as LogEntry);
  for (let i = 0; i < kept.length; i++) arr[reserve + i] = kept[i]!;
  written.set(arr, start);
  return { arr, offset: start - reserve, start, end: start + kept.length, epoch: previous.epoch + 1 };
}

/**
 * `view` with `entries` (older than its oldest, oldest first) before it, as
 * many as fit under `limit` (the newest of them). Positions of the entries
 * already there do not change, so filter indexes stay valid (they scan the
 * new front only). Written in place into the room `replaceLog` left when
 * nothing else wrote there, else into a copy (older views keep theirs).
 */
export function prependLog(view: LogView, entries: readonly LogEntry[], limit: number): LogView {
  const room = limit - (view.end - view.start);
  if (room <= 0 || entries.length === 0) return view;
  const take = entries.length > room ? entries.slice(entries.length - room) : entries;
  const start = view.start - take.length;
  if (start >= view.offset && written.get(view.arr) === view.start) {
    const arr = view.arr;
    for (let i = 0; i < take.length; i++) arr[start - view.offset + i] = take[i]!;
    written.set(arr, start);
    return { arr, offset: view.offset, start, end: view.end, epoch: view.epoch };
  }
  const arr = take.concat(view.arr.slice(view.start - view.offset, view.end - view.offset));
  return { arr, offset: start, start, end: view.end, epoch: view.epoch };
}

/** `view` plus `entries`, the oldest dropped beyond `limit`. */
export function appendLog(view: LogView, entries: readonly LogEntry[], limit: number): LogView {
  if (entries.length === 0) return view;
  let arr = view.arr;
  let offset = view.offset;
  if (view.end - offset !== arr.length) {
    // Somebody already appended past this view: branch off with a copy.
    arr = arr.slice(view.start - offset, view.end - offset);
    offset = view.start;
  }
  for (const e of entries) arr.push(e);
  const end = view.end + entries.length;
  const start = Math.max(view.start, end - limit);
  // Drop evicted entries from the array once they are half of it, so memory
  // stays bounded while appends stay amortised O(1).
  // (Room left in front for older entries still loading is not evicted: keep it.)
  if (start - offset > Math.max(1024, limit / 2) && written.get(arr) !== start) {
    arr = arr.slice(start - offset);
    offset = start;
  }
  return { arr, offset, start, end, epoch: view.epoch };
}
