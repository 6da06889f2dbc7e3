/**
 * The message log rate: which messages of a source (an EventSource, a fetch
 * stream, or one direction of a BroadcastChannel; and the plain requests of
 * one Web Lock name, see web-locks.ts) are logged one by one, and a count of
 * the others.
 *
 * A token bucket per source holds up to `rate` tokens and refills at `rate`
 * per second. A message that finds a token is logged; one that does not is
 * counted (times, bytes, last event id) and nothing else is done with it: no
 * preview, no encoding, no transport. What was counted goes out as one
 * summary event when the page's batch is flushed (at most one batch interval
 * later), or before a state change of the same source (so the log keeps the
 * order); until then every message of the source joins it (see `admit`).
 * Rate 0 logs every message.
 *
 * Why: a logged message costs its page a preview, an encoding and a share
 * of the transport, and the worker a validation, a log entry and storage.
 * At thousands of messages a second that is what a page feels
 * (docs/benchmarks.md); counting one costs a few comparisons. Every counter
 * (messages and bytes per connection, posts and receipts per channel) stays
 * exact either way.
 *
 * Pure: no browser API, so it is unit-tested in Node. Lists are
 * null-prototype objects indexed by number: a write never reaches a setter
 * a page may have put on Array.prototype or Object.prototype.
 */
import { LIMITS } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { nullObject, slice } from './natives';

export interface SourceGate {
  /** Tokens left (NaN until the first message: a full bucket). */
  tokens: number;
  /** When the tokens were last refilled (ms). */
  at: number;
  /** Messages counted since the last summary, and their totals. */
  count: number;
  bytes: number;
  since: number;
  last: number;
  lastEventId: string;
  /** In the list of gates drained at the next flush. */
  listed: boolean;
  /** Send this gate's summary (builds the page event from the fields above). */
  readonly send: (gate: SourceGate) => void;
}

export function createGate(send: (gate: SourceGate) => void): SourceGate {
  return { tokens: NaN, at: 0, count: 0, bytes: 0, since: 0, last: 0, lastEventId: '', listed: false, send };
}

/** The summary event of an SSE source (EventSource or fetch stream) `id`. */
export function messageSummary(kind: 'es:message-summary' | 'fetch:message-summary', id: number, g: SourceGate): PageEvent {
  return { kind, t: g.last, id, count: g.count, since: g.since, bytes: g.bytes, lastEventId: slice(g.lastEventId, 0, LIMITS.maxName) };
}

/** Gates with a summary to send (indices 0 .. listedCount - 1). */
const listed = nullObject<Record<number, SourceGate | null>>();
let listedCount = 0;
let wake: () => void = () => undefined;

/** What to call when a summary starts pending (the batcher schedules a flush). */
export function setGateWake(fn: () => void): void {
  wake = fn;
}

/** Send the gate's pending summary now, if it has one. */
export function settle(gate: SourceGate): void {
  if (gate.count === 0) return;
  gate.send(gate);
  gate.count = 0;
  gate.bytes = 0;
}

/**
 * Whether the message at time `t` is logged one by one at `rate` per second
 * (0: always, after sending the source's pending summary).
 *
 * While a summary is pending, every message of its source joins it, whatever
 * the bucket holds: the tokens earned meanwhile are spent after the summary
 * went (at the flush, or before a state change). So a flood logs runs of
 * messages between summaries, a few summaries a second, instead of one
 * logged message and one summary each time a token comes back (every 5 ms at
 * the default rate): about the same messages logged on the whole, half the
 * events, and a counted message costs one comparison here.
 */
export function admit(gate: SourceGate, t: number, rate: number): boolean {
  if (rate <= 0) {
    settle(gate);
    return true;
  }
  if (gate.count !== 0) return false;
  let tokens = gate.tokens;
  if (tokens !== tokens) tokens = rate;
  else if (t > gate.at) {
    tokens += ((t - gate.at) * rate) / 1000;
    if (tokens > rate) tokens = rate;
  } else if (tokens > rate) tokens = rate; // the rate went down
  gate.at = t;
  if (tokens >= 1) {
    gate.tokens = tokens - 1;
    return true;
  }
  gate.tokens = tokens;
  return false;
}

/** Count a message that `admit` turned down. */
export function countMessage(gate: SourceGate, t: number, bytes: number, lastEventId: string): void {
  if (gate.count === 0) {
    gate.since = t;
    if (!gate.listed) {
      gate.listed = true;
      listed[listedCount++] = gate;
      wake();
    }
  }
  gate.count++;
  gate.bytes += bytes;
  gate.last = t;
  gate.lastEventId = lastEventId;
}

/** Work of other modules for the next flush (lock requests not logged yet that are still pending). */
const drainHooks = nullObject<Record<number, () => void>>();
let hookCount = 0;

export function addDrainHook(hook: () => void): void {
  drainHooks[hookCount++] = hook;
}

/** Make sure a flush comes (something for a drain hook is waiting). */
export function wakeForDrain(): void {
  wake();
}

/** Send every pending summary (before a batch is flushed), after the drain hooks. */
export function drainGates(): void {
  for (let i = 0; i < hookCount; i++) (drainHooks[i] as () => void)();
  // A summary sent here may not list another gate (send only emits), so the
  // loop sees a fixed list.
  const n = listedCount;
  listedCount = 0;
  for (let i = 0; i < n; i++) {
    const gate = listed[i];
    listed[i] = null;
    if (!gate) continue;
    gate.listed = false;
    settle(gate);
  }
}

/** Tests only. */
export function resetGatesForTests(): void {
  for (let i = 0; i < listedCount; i++) listed[i] = null;
  listedCount = 0;
  hookCount = 0;
  wake = () => undefined;
}
