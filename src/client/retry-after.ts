/**
 * Parses a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns milliseconds from `now`, or undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Reads an optional non-negative integer header such as X-SSE-Connection-Limit. */
export function parseCountHeader(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** retry_after_ms of the seed's JSON refusal body, if valid. */
export function retryAfterFromBody(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)['retry_after_ms'];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}
