/**
 * Pure helpers for what webRequest shows: which responses belong to SSE
 * activity, and what the server said in them.
 */
export interface HeaderLike {
  name: string;
  value?: string;
}

export interface ServerHints {
  retryAfterMs: number | null;
  limit: number | null;
  current: number | null;
  contentType: string;
}

/** `Retry-After` is delta-seconds or an HTTP-date; returns ms from `now`, or null. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

function parseCount(value: string | undefined): number | null {
  if (value == null || !/^\s*\d+\s*$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

export function headerValue(headers: readonly HeaderLike[] | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers?.find((h) => h.name.toLowerCase() === lower)?.value;
}

export function serverHints(headers: readonly HeaderLike[] | undefined, now: number): ServerHints {
  return {
    retryAfterMs: parseRetryAfter(headerValue(headers, 'retry-after'), now),
    limit: parseCount(headerValue(headers, 'x-sse-connection-limit')),
    current: parseCount(headerValue(headers, 'x-sse-current-connections')),
    contentType: (headerValue(headers, 'content-type') ?? '').slice(0, 200),
  };
}

export interface ResponseFacts {
  method: string;
  /** The request's Accept header, when it was seen. */
  accept: string | undefined;
  status: number;
  hints: ServerHints;
  /**
   * The URL is one the page opened an SSE connection to in this tab. Asked
   * last, and only when the headers did not settle it: it scans the connections.
   */
  knownSseUrl: () => boolean;
}

/** Does this response belong to SSE activity (a stream, a refusal of one, or a probe)? */
export function isSseResponse(f: ResponseFacts): boolean {
  if (f.hints.contentType.toLowerCase().startsWith('text/event-stream')) return true;
  if (f.accept?.toLowerCase().includes('text/event-stream')) return true;
  if (f.hints.limit !== null || f.hints.current !== null) return true;
  return f.knownSseUrl();
}
