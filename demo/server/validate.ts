/** Pure input validation for the demo server. Every function returns a value or an error string. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; message: string };

const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function parseId(kind: 'projectId' | 'userId', raw: string | null | undefined): Parsed<string> {
  if (raw === null || raw === undefined || raw === '') {
    return { ok: false, error: `missing_${kind === 'projectId' ? 'project_id' : 'user_id'}`, message: `${kind} is required` };
  }
  if (!ID_RE.test(raw)) {
    return {
      ok: false,
      error: `invalid_${kind === 'projectId' ? 'project_id' : 'user_id'}`,
      message: `${kind} must be 1-64 characters of A-Z a-z 0-9 _ . -`,
    };
  }
  return { ok: true, value: raw };
}

/** Parses an optional non-negative integer query parameter within [min, max]. */
export function parseIntParam(name: string, raw: string | null, dflt: number, min: number, max: number): Parsed<number> {
  if (raw === null || raw === '') return { ok: true, value: dflt };
  if (!/^\d+$/.test(raw)) return { ok: false, error: 'invalid_parameter', message: `${name} must be an integer` };
  const n = Number(raw);
  if (n < min || n > max) return { ok: false, error: 'invalid_parameter', message: `${name} must be between ${min} and ${max}` };
  return { ok: true, value: n };
}

/** SSE event names may not contain line breaks; keep them short and printable. */
export function parseEventName(raw: string | null): Parsed<string | undefined> {
  if (raw === null || raw === '') return { ok: true, value: undefined };
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) {
    return { ok: false, error: 'invalid_parameter', message: 'event must be 1-64 characters of A-Z a-z 0-9 _ . : -' };
  }
  return { ok: true, value: raw };
}

/**
 * Last-Event-ID: both streams number their messages with decimal ids. Absent or empty = no
 * resume; anything else that is not such an id cannot come from this server and gets a 400.
 */
export function parseLastEventId(raw: string | null | undefined): Parsed<number | undefined> {
  if (raw === null || raw === undefined) return { ok: true, value: undefined };
  const t = raw.trim();
  if (t === '') return { ok: true, value: undefined };
  if (!/^\d{1,15}$/.test(t)) {
    return { ok: false, error: 'invalid_last_event_id', message: 'Last-Event-ID must be a decimal message id of at most 15 digits' };
  }
  return { ok: true, value: Number(t) };
}

export interface ChatPost {
  text: string;
  clientId?: string;
}

export const MAX_TEXT = 4000;

export function parseChatPost(body: unknown): Parsed<ChatPost> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'invalid_body', message: 'body must be a JSON object like {"text":"hello"}' };
  }
  const rec = body as Record<string, unknown>;
  const text = rec['text'];
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
    return { ok: false, error: 'invalid_body', message: `text must be a non-empty string of at most ${MAX_TEXT} characters` };
  }
  const clientId = rec['clientId'];
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length > 64)) {
    return { ok: false, error: 'invalid_body', message: 'clientId must be a string of at most 64 characters' };
  }
  return { ok: true, value: clientId === undefined ? { text } : { text, clientId } };
}
