/**
 * Batches page events, with a bounded queue that drops the oldest events and
 * counts them. A flush runs in a microtask when the last one is at least
 * `minIntervalMs` old (an isolated event goes out at once), otherwise on a
 * timer at the end of that interval, so a stream of one event per task still
 * makes at most one batch per interval, not one per event. A queue that
 * reaches a full batch flushes in the next microtask regardless. Batches are
 * split by event count and by serialized size.
 *
 * Pure: the transport (`dispatch`) and the scheduler (`schedule`) are given,
 * so the logic is unit-tested in Node.
 */
import { LIMITS } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { encodeBatch, encodeEvent } from './encode';

export interface BatcherOptions {
  /** Send one serialized PageBatch. */
  dispatch: (json: string) => void;
  /** Run `flush` later (a microtask in the page). */
  schedule: (flush: () => void) => void;
  /** Run `flush` after `ms` (a timer in the page). */
  setTimer?: (flush: () => void, ms: number) => void;
  now?: () => number;
  minIntervalMs?: number;
  /**
   * The interval when an urgent event waits (a state change: see `urgent`):
   * shorter, so that what the browser also sees (a request, a 429) and what
   * the page says about it reach the worker close together.
   */
  urgentIntervalMs?: number;
  /** Whether an event is urgent (default: none is). */
  urgent?: (event: PageEvent) => boolean;
  /** Runs at the start of each flush, once ready: may push events (the message summaries of gate.ts). */
  beforeFlush?: () => void;
  capacity?: number;
  maxBatchEvents?: number;
  maxBatchChars?: number;
}

export interface Batcher {
  push(event: PageEvent): void;
  /** The relay answered: start sending (events queued so far go first). */
  setReady(): void;
  readonly ready: boolean;
  /** Events waiting, and events dropped since the last batch. */
  readonly pending: number;
  readonly dropped: number;
  /** Send everything now (also what a scheduled flush does). */
  flush(): void;
  /** Schedule a flush as a push would, with nothing pushed (something for `beforeFlush` is waiting). */
  wake(): void;
}

export function createBatcher(options: BatcherOptions): Batcher {
  const capacity = options.capacity ?? LIMITS.maxPageQueue;
  const maxEvents = options.maxBatchEvents ?? LIMITS.maxBatchEvents;
  // Leave room for the envelope around the events.
  const maxChars = (options.maxBatchChars ?? LIMITS.maxBatchChars) - 256;
  // A ring of preallocated slots: writes go to existing own indices, so no
  // page-patchable Array.prototype method or setter is involved. It holds
  // each event already encoded: the event object dies young, in the page's
  // own call, instead of surviving until the flush (keeping tens of
  // thousands of objects alive across the batching window made the
  // page's garbage collector copy and promote them, which cost the page more
  // than the encoding itself).
  const ring: (string | null)[] = new Array<string | null>(capacity).fill(null);
  let head = 0;
  let size = 0;
  let dropped = 0;
  let ready = false;
  let scheduled = false;
  let timerPending = false;
  let flushing = false;
  let lastFlush = -Infinity;
  // 200 ms, not less, while only messages keep coming: each batch costs the
  // relay, the browser process and the worker a message, whatever it holds.
  // Side by side (7 runs) the relay benchmark took 1.115 × the time without
  // the extension at 50 ms and 1.072 × at 200 ms, the worker 100 against
  // 70 ms of CPU. An event after a quiet spell still goes at once, and a
  // state change (urgent) waits 50 ms at most.
  const minInterval = options.minIntervalMs ?? 200;
  const urgentInterval = options.urgentIntervalMs ?? 50;
  /** An urgent event is waiting: the next flush comes after urgentInterval. */
  let urgentPending = false;
  /** When the pending timer fires, and which timer is the live one. */
  let timerDue = Infinity;
  let timerGen = 0;
  const now = options.now ?? (() => 0);

  function take(): string | null {
    if (size === 0) return null;
    const event = ring[head] ?? null;
    ring[head] = null;
    head = (head + 1) % capacity;
    size--;
    return event;
  }

  function flush(): void {
    scheduled = false;
    timerPending = false;
    timerDue = Infinity;
    if (!ready) return;
    urgentPending = false;
    lastFlush = now();
    if (options.beforeFlush) {
      // What it pushes goes out in this flush: no other flush is scheduled for it.
      flushing = true;
      try {
        options.beforeFlush();
      } finally {
        flushing = false;
      }
    }
    while (size > 0 || dropped > 0) {
      let body = '';
      let count = 0;
      while (size > 0 && count < maxEvents) {
        const json = ring[head];
        if (!json) {
          take();
          continue;
        }
        if (body.length + json.length + 1 > maxChars) break;
        take();
        body += count === 0 ? json : `,${json}`;
        count++;
      }
      const batch = encodeBatch(body, count, dropped);
      dropped = 0;
      options.dispatch(batch);
    }
  }

  function schedule(): void {
    if (scheduled || !ready || flushing) return;
    const t = now();
    const wait = lastFlush + (urgentPending ? urgentInterval : minInterval) - t;
    if (wait > 0 && options.setTimer && size < maxEvents) {
      // A timer already due as soon: keep it. An urgent event can bring the flush forward.
      if (timerPending && timerDue <= t + wait) return;
      timerPending = true;
      timerDue = t + wait;
      const gen = ++timerGen;
      options.setTimer(() => {
        if (timerPending && gen === timerGen) flush();
      }, wait);
      return;
    }
    scheduled = true;
    options.schedule(flush);
  }

  return {
    push(event) {
      if (!urgentPending && options.urgent && options.urgent(event)) urgentPending = true;
      const json = encodeEvent(event);
      if (json.length + 1 > maxChars) {
        // One event larger than a batch: cannot be sent; count it as dropped.
        dropped++;
        schedule();
        return;
      }
      if (size === capacity) {
        take();
        dropped++;
      }
      ring[(head + size) % capacity] = json;
      size++;
      schedule();
    },
    setReady() {
      if (ready) return;
      ready = true;
      if (size > 0 || dropped > 0) schedule();
    },
    get ready() {
      return ready;
    },
    get pending() {
      return size;
    },
    get dropped() {
      return dropped;
    },
    flush,
    wake: schedule,
  };
}
