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
  // 200 ms, not less: each batch costs the relay, the browser process and
  // the worker a message, whatever it holds. Side by side (7 runs) the relay
  // benchmark took 1.115 × the time without the extension at 50 ms and
  // 1.072 × at 200 ms, the worker 100 against 70 ms of CPU. An event after
  // a quiet spell still goes at once.
  const minInterval = options.minIntervalMs ?? 200;
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
    if (!ready) return;
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
    const wait = lastFlush + minInterval - now();
    if (wait > 0 && options.setTimer && size < maxEvents) {
      if (timerPending) return;
      timerPending = true;
      options.setTimer(() => {
        if (timerPending) flush();
      }, wait);
      return;
    }
    scheduled = true;
    options.schedule(flush);
  }

  return {
    push(event) {
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
