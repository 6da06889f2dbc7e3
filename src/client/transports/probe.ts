import { parseCountHeader, parseRetryAfter } from '../retry-after.js';
import { systemClock, type Clock } from '../clock.js';
import type { FetchFn, SSEConnectionResult } from '../types.js';

/**
 * Asks the server (HEAD, opens nothing) whether a stream would be admitted, to learn why an
 * EventSource failed: the EventSource API hides the status of a refused request.
 */
export async function probeLimit(
  fetchFn: FetchFn,
  url: string,
  opts: { withCredentials: boolean; timeoutMs: number; defaultRetryAfterMs: number; clock?: Clock },
): Promise<SSEConnectionResult> {
  const clock = opts.clock ?? systemClock;
  const ctrl = new AbortController();
  const timer = clock.setTimeout(() => ctrl.abort(), opts.timeoutMs);
  try {
    const res = await fetchFn(url, {
      method: 'HEAD',
      credentials: opts.withCredentials ? 'include' : 'same-origin',
      cache: 'no-store',
      signal: ctrl.signal,
    });
    const limit = parseCountHeader(res.headers.get('X-SSE-Connection-Limit'));
    const current = parseCountHeader(res.headers.get('X-SSE-Current-Connections'));
    const counts = { ...(limit !== undefined ? { limit } : {}), ...(current !== undefined ? { current } : {}) };
    if (res.status === 429) {
      return {
        mode: 'follower',
        reason: 'Connection limit exceeded',
        status: 429,
        retryAfterMs: parseRetryAfter(res.headers.get('Retry-After'), clock.now()) ?? opts.defaultRetryAfterMs,
        ...counts,
      };
    }
    if (res.ok) {
      // A slot is free now: the stream failed for another reason, or the limit cleared in between.
      return { mode: 'failed', reason: 'SSE connection failed (the server would admit a new stream now)', status: res.status, ...counts };
    }
    const retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'), clock.now());
    return {
      mode: 'failed',
      reason: `SSE connection failed (HTTP ${res.status})`,
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...counts,
    };
  } catch {
    return { mode: 'failed', reason: 'Failed to check connection status' };
  } finally {
    clock.clearTimeout(timer);
  }
}
