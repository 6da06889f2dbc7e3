/**
 * Response bodies of refused requests, as chrome.devtools.network gives them
 * while DevTools is open, matched to the worker's rate-limit entries by URL
 * and time. Bodies are server data: shown as text only.
 */
import type { SnapshotRateLimit } from '../../shared/protocol';

export interface ResponseBody {
  url: string;
  status: number;
  /** Request start, ms since epoch. */
  at: number;
  body: string;
  truncated: boolean;
}

export const MAX_BODY_CHARS = 64 * 1024;
export const MAX_BODIES = 200;
/** A body and a rate-limit entry this far apart in time are not the same response. */
export const MATCH_WINDOW_MS = 5_000;

export function addBody(list: readonly ResponseBody[], body: ResponseBody): ResponseBody[] {
  const next = [...list, body];
  return next.length > MAX_BODIES ? next.slice(next.length - MAX_BODIES) : next;
}

export function cutBody(text: string): { body: string; truncated: boolean } {
  return text.length > MAX_BODY_CHARS ? { body: text.slice(0, MAX_BODY_CHARS), truncated: true } : { body: text, truncated: false };
}

/** The body of the same URL and status nearest in time, within the window. */
export function bodyFor(list: readonly ResponseBody[], rl: SnapshotRateLimit): ResponseBody | null {
  let best: ResponseBody | null = null;
  for (const b of list) {
    if (b.url !== rl.url || b.status !== rl.status) continue;
    const d = Math.abs(b.at - rl.at);
    if (d > MATCH_WINDOW_MS) continue;
    if (!best || d < Math.abs(best.at - rl.at)) best = b;
  }
  return best;
}
