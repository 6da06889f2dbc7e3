/** Reconnect delays for the leader (pure). */

export interface BackoffOptions {
  /** first delay, default 1000 */
  baseMs?: number;
  /** cap of the exponential part, default 30000 */
  maxMs?: number;
  /** server's Retry-After: the delay is never shorter */
  retryAfterMs?: number;
  /** jitter added on top of a Retry-After, at most this, default 1000 */
  retryAfterJitterMs?: number;
  /** [0, 1) */
  random?: () => number;
}

/**
 * "Equal jitter" exponential backoff: half the step fixed, half random, so tabs and
 * clients that failed together do not come back together. A Retry-After is a floor,
 * with up to 10% (capped) of jitter added on top of it for the same reason.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const step = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jittered = step / 2 + random() * (step / 2);
  if (opts.retryAfterMs === undefined) return Math.round(jittered);
  const ra = Math.max(0, opts.retryAfterMs);
  const spread = Math.min(opts.retryAfterJitterMs ?? 1000, Math.max(100, ra * 0.1));
  return Math.round(Math.max(ra, jittered) + random() * spread);
}
