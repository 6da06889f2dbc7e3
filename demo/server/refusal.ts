/** The seed's 429 contract, built as plain data so it can be tested without a server. */

export interface Refusal {
  status: 429;
  headers: Record<string, string>;
  body: {
    error: 'too_many_connections';
    message: string;
    current_connections: number;
    max_connections: number;
    retry_after_ms: number;
    recommendation: string;
  };
}

export function limitHeaders(limit: number, current: number): Record<string, string> {
  return {
    'X-SSE-Connection-Limit': String(limit),
    'X-SSE-Current-Connections': String(current),
  };
}

export function buildRefusal(limit: number, current: number, retryAfterSec: number): Refusal {
  return {
    status: 429,
    headers: { 'Retry-After': String(retryAfterSec), ...limitHeaders(limit, current) },
    body: {
      error: 'too_many_connections',
      message: `SSE connection limit exceeded. Maximum ${limit} connections allowed per user/project.`,
      current_connections: current,
      max_connections: limit,
      retry_after_ms: retryAfterSec * 1000,
      recommendation: 'Close other chat windows or switch this tab to follower mode',
    },
  };
}
