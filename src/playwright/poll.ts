/**
 * Polling a condition until it holds (for a while) or time runs out. The
 * clock and the sleep are injectable so that the logic is unit-tested
 * without real time.
 */

export interface PollStep<T> {
  ok: boolean;
  /** A failure that waiting cannot undo (stop now). */
  final?: boolean;
  value: T;
}

export interface PollOptions {
  /** Give up after this long (ms). */
  timeout: number;
  /** The condition must hold this long, over consecutive polls, to count (ms; 0 = at once). */
  stableMs?: number;
  /** Pause between polls (ms). */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type PollResult<T> =
  | { ok: true; value: T; elapsedMs: number }
  | { ok: false; value: T; elapsedMs: number; reason: 'timeout' | 'final' };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `step` until it reports ok for `stableMs` without a break, reports a
 * final failure, or `timeout` has passed (a condition that holds at the
 * deadline is given `stableMs` more). Always calls `step` at least once
 * and returns its last value (to explain a failure with).
 */
export async function pollUntil<T>(step: () => Promise<PollStep<T>>, opts: PollOptions): Promise<PollResult<T>> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const stableMs = opts.stableMs ?? 0;
  const interval = opts.intervalMs ?? 100;
  const start = now();
  let okSince: number | null = null;
  for (;;) {
    const r = await step();
    const t = now();
    if (r.ok) {
      okSince ??= t;
      if (t - okSince >= stableMs) return { ok: true, value: r.value, elapsedMs: t - start };
    } else {
      okSince = null;
      if (r.final) return { ok: false, value: r.value, elapsedMs: t - start, reason: 'final' };
    }
    // A condition that holds at the deadline gets the time to prove it is stable.
    const deadline = opts.timeout + (okSince !== null ? stableMs : 0);
    if (t - start >= deadline) {
      return { ok: false, value: r.value, elapsedMs: t - start, reason: 'timeout' };
    }
    await sleep(Math.max(0, Math.min(interval, deadline - (t - start))));
  }
}
