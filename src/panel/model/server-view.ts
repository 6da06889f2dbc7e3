/**
 * The server view (issue 13): what the server says it holds for a user and
 * project, next to what this browser holds. Pure: the settings and their
 * validation, the monitoring URL from its template, the user id from a
 * query parameter or a cookie string, the server's answer validated (it is
 * hostile text like page data), and the comparison with the browser's own
 * connections. The fetching and polling live in `../server-view.ts`.
 */
import * as v from 'valibot';
import type { SnapshotConnection } from '../../shared/protocol';

// ---------------------------------------------------------------------------
// Settings (browser.storage.sync, one item per project: `server-view:<projectKey>`)
// ---------------------------------------------------------------------------

export type UserIdSource = 'query' | 'cookie' | 'typed';

export interface ServerViewSettings {
  /** Off by default: the panel asks nothing of a server until the developer turns it on for the project. */
  enabled: boolean;
  /** Absolute, or relative to the inspected page's URL; `{userId}` and `{projectId}` are replaced (percent-encoded). */
  template: string;
  userIdFrom: UserIdSource;
  /** Query parameter that carries the user id, in the project's connection URLs or the inspected page's URL. */
  queryParam: string;
  /** Cookie that carries the user id (read from the inspected page's `document.cookie`, DevTools only). */
  cookieName: string;
  /** The user id, typed in. */
  userId: string;
}

export const DEFAULT_TEMPLATE = '/api/debug/sse-connections/{userId}/{projectId}';

export const DEFAULT_SERVER_VIEW: ServerViewSettings = {
  enabled: false,
  template: DEFAULT_TEMPLATE,
  userIdFrom: 'query',
  queryParam: 'userId',
  cookieName: 'sse_demo_user',
  userId: '',
};

export const STORAGE_PREFIX = 'server-view:';
/** storage.sync keys are strings; a project key can be anything the page said, so it is bounded here. */
export function storageKey(projectKey: string): string {
  return STORAGE_PREFIX + projectKey.slice(0, 256);
}

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['userId', 'projectId']);
/** A cookie name / query parameter: an RFC 6265 token, short. */
const NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

const ServerViewSettingsSchema = v.object({
  enabled: v.boolean(),
  template: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, 'enter a URL template'),
    v.maxLength(1024, 'at most 1024 characters'),
    v.check((t) => [...t.matchAll(PLACEHOLDER_RE)].every((m) => KNOWN_PLACEHOLDERS.has(m[1] ?? '')), 'only {userId} and {projectId} can be replaced'),
    v.check((t) => t.includes('{userId}'), 'the template needs {userId}'),
  ),
  userIdFrom: v.picklist(['query', 'cookie', 'typed']),
  queryParam: v.pipe(v.string(), v.trim(), v.regex(NAME_RE, 'a query parameter name (letters, digits, - _ .)')),
  cookieName: v.pipe(v.string(), v.trim(), v.regex(NAME_RE, 'a cookie name (letters, digits, - _ .)')),
  userId: v.pipe(v.string(), v.maxLength(256, 'at most 256 characters')),
});

export type SettingsResult = { ok: true; settings: ServerViewSettings } | { ok: false; error: string };

const FIELD_LABEL: Record<string, string> = {
  enabled: 'On',
  template: 'URL template',
  userIdFrom: 'User id from',
  queryParam: 'Query parameter',
  cookieName: 'Cookie name',
  userId: 'User id',
};

/** Validate settings from the form or from storage (storage.sync is written by other machines too). */
export function validateServerViewSettings(raw: unknown): SettingsResult {
  const r = v.safeParse(ServerViewSettingsSchema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const key = String(issue?.path?.[0]?.key ?? '');
    return { ok: false, error: `${FIELD_LABEL[key] ?? (key || 'Settings')}: ${issue?.message ?? 'invalid'}` };
  }
  const s = r.output;
  if (s.userIdFrom === 'typed' && s.enabled && s.userId.trim() === '') return { ok: false, error: 'User id: type the user id, or pick where to find it' };
  return { ok: true, settings: s };
}

/** What storage holds for a project, or the defaults when it holds nothing valid. */
export function readStoredSettings(raw: unknown): ServerViewSettings {
  if (raw === undefined || raw === null) return { ...DEFAULT_SERVER_VIEW };
  const r = validateServerViewSettings(raw);
  return r.ok ? r.settings : { ...DEFAULT_SERVER_VIEW };
}

// ---------------------------------------------------------------------------
// The monitoring URL
// ---------------------------------------------------------------------------

export type UrlResult = { ok: true; url: string } | { ok: false; error: string };

const isDotSegment = (s: string) => s === '.' || s === '..';

/**
 * Expand the template: `{userId}` and `{projectId}` become percent-encoded
 * path segments (encodeURIComponent: an id cannot add segments, a query or
 * a fragment; "." and ".." are refused), then resolve against the
 * inspected page's URL.
 * Only http(s) URLs are fetched.
 */
export function monitoringUrl(template: string, ids: { userId: string; projectId: string }, pageUrl: string | null): UrlResult {
  if (ids.userId === '') return { ok: false, error: 'no user id' };
  // The URL parser takes "." and ".." (even as %2E) as dot segments: such an id would climb the path.
  if (isDotSegment(ids.userId) || isDotSegment(ids.projectId)) return { ok: false, error: 'the user id or project id is "." or "..", which cannot be a path segment' };
  const encode = (s: string) => encodeURIComponent(s);
  const expanded = template.trim().replace(PLACEHOLDER_RE, (whole, name: string) =>
    name === 'userId' ? encode(ids.userId) : name === 'projectId' ? encode(ids.projectId) : whole,
  );
  let base: URL | undefined;
  try {
    base = pageUrl ? new URL(pageUrl) : undefined;
  } catch {
    base = undefined;
  }
  if (base && base.protocol !== 'http:' && base.protocol !== 'https:') base = undefined;
  let url: URL;
  try {
    url = base ? new URL(expanded, base) : new URL(expanded);
  } catch {
    return { ok: false, error: base ? 'the URL template does not make a valid URL' : 'the inspected page has no http(s) URL to resolve the template against; use an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: 'only http and https URLs are asked' };
  if (url.username || url.password) return { ok: false, error: 'the URL must not carry a user name or password' };
  url.hash = '';
  return { ok: true, url: url.href };
}

// ---------------------------------------------------------------------------
// The user id
// ---------------------------------------------------------------------------

/** The first value of `param` in these URLs (the project's connections first, then the page). */
export function userIdFromUrls(urls: readonly string[], param: string): string | null {
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      continue;
    }
    const value = parsed.searchParams.get(param);
    if (value !== null && value !== '') return value;
  }
  return null;
}

/** The value of cookie `name` in a `document.cookie` string (percent-decoded when it is). */
export function userIdFromCookie(cookie: string, name: string): string | null {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep it as it is
    }
    return value === '' ? null : value;
  }
  return null;
}

/** Longest user id the panel sends (a cookie or URL could hold anything). */
export const MAX_USER_ID = 256;

// ---------------------------------------------------------------------------
// The server's answer (hostile: validated, bounded, never rendered as HTML)
// ---------------------------------------------------------------------------

/** Most connection records kept from one answer. */
export const MAX_SERVER_CONNECTIONS = 500;
/** Longest answer read, in characters. */
export const MAX_BODY_CHARS = 512 * 1024;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
// Generous bounds here (a record past them is skipped); what is kept is cut shorter by `clean`.
const ServerConnectionSchema = v.object({
  id: text(4096),
  openedAt: v.optional(text(128)),
  instanceId: v.optional(text(4096)),
  userAgent: v.optional(text(8192)),
  lastEventId: v.optional(text(4096)),
});
const ServerAnswerSchema = v.object({
  connections: v.pipe(v.array(v.unknown()), v.maxLength(100_000)),
  count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))),
  limit: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)))),
});

export interface ServerConnection {
  id: string;
  /** ms since epoch, or null when absent or not a date. */
  openedAt: number | null;
  instanceId: string | null;
  userAgent: string | null;
  lastEventId: string | null;
}

export interface ServerList {
  /** The server's count (its `count`, else the list's length). */
  count: number;
  limit: number | null;
  connections: ServerConnection[];
  /** Records dropped: malformed, or past MAX_SERVER_CONNECTIONS. */
  skipped: number;
}

export type FailureKind = 'http' | 'network' | 'not-json' | 'bad-shape' | 'timeout';

export interface Failure {
  kind: FailureKind;
  /** One quiet line for people. */
  message: string;
  status?: number;
}

export type AnswerResult = { ok: true; list: ServerList } | { ok: false; failure: Failure };

/** Strip control characters and bound a server string before it is shown (as text). */
function clean(s: string, max: number): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}

/** Read the server's answer: status, content type and body text. */
export function parseServerAnswer(status: number, contentType: string | null, body: string): AnswerResult {
  if (status < 200 || status > 299) {
    const hint =
      status === 404
        ? 'no monitoring endpoint at this URL (404)'
        : status === 401 || status === 403
          ? `the server refused the request (${status}): the page's credentials may not be sent from the panel`
          : `the server answered ${status}`;
    return { ok: false, failure: { kind: 'http', status, message: hint } };
  }
  if (body.length > MAX_BODY_CHARS) return { ok: false, failure: { kind: 'bad-shape', message: 'the answer is too large' } };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    const what = contentType ? clean(contentType.split(';')[0] ?? '', 64) : 'no content type';
    return { ok: false, failure: { kind: 'not-json', message: `the answer is not JSON (${what})` } };
  }
  const r = v.safeParse(ServerAnswerSchema, raw);
  if (!r.success) return { ok: false, failure: { kind: 'bad-shape', message: 'the answer is JSON but not { connections: [...], count, limit }' } };
  const connections: ServerConnection[] = [];
  let skipped = 0;
  for (const item of r.output.connections) {
    if (connections.length >= MAX_SERVER_CONNECTIONS) {
      skipped++;
      continue;
    }
    const c = v.safeParse(ServerConnectionSchema, item);
    if (!c.success) {
      skipped++;
      continue;
    }
    const t = c.output.openedAt !== undefined ? Date.parse(c.output.openedAt) : NaN;
    connections.push({
      id: clean(c.output.id, 256),
      openedAt: Number.isFinite(t) ? t : null,
      instanceId: c.output.instanceId !== undefined ? clean(c.output.instanceId, 128) : null,
      userAgent: c.output.userAgent !== undefined ? clean(c.output.userAgent, 1024) : null,
      lastEventId: c.output.lastEventId !== undefined ? clean(c.output.lastEventId, 256) : null,
    });
  }
  return {
    ok: true,
    list: { count: r.output.count ?? r.output.connections.length, limit: r.output.limit ?? null, connections, skipped },
  };
}

/** A fetch that threw: CORS, DNS, refused connection, offline, aborted by our timeout. */
export function networkFailure(error: unknown, timedOut: boolean): Failure {
  if (timedOut) return { kind: 'timeout', message: 'no answer within the time limit' };
  const name = error instanceof Error ? error.name : '';
  return {
    kind: 'network',
    message: `the request failed (network error or blocked by CORS${name && name !== 'TypeError' ? `: ${clean(name, 40)}` : ''})`,
  };
}

// ---------------------------------------------------------------------------
// Polling: when to ask again
// ---------------------------------------------------------------------------

export const POLL_MS = 5_000;
export const MAX_BACKOFF_MS = 60_000;

/** Delay before the next request: every POLL_MS while it works, doubling after each failure in a row. */
export function nextDelay(failuresInARow: number): number {
  if (failuresInARow <= 0) return POLL_MS;
  return Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** Math.min(failuresInARow, 8));
}

/** The newest 429 (or other refusal) time of the project, to refresh on each new one. */
export function latestRefusalAt(rateLimits: readonly { projectKey: string | null; status: number; at: number }[], projectKey: string): number {
  let latest = 0;
  for (const rl of rateLimits) if (rl.projectKey === projectKey && rl.status === 429 && rl.at > latest) latest = rl.at;
  return latest;
}

// ---------------------------------------------------------------------------
// Comparing the two views
// ---------------------------------------------------------------------------

/** Server and browser clocks differ, and the server admits after the page asked: how far apart "the same" opening can be. */
export const MATCH_TOLERANCE_MS = 5_000;

export type ServerRowKind =
  /** Its user agent is not this browser's: another browser or device. Certain. */
  | 'elsewhere'
  /** Same user agent (or none given) and opened within the tolerance of one of this browser's connections. */
  | 'matched'
  /** Same user agent (or none) and matched to none of this browser's connections. */
  | 'unmatched';

export interface ServerRow {
  connection: ServerConnection;
  kind: ServerRowKind;
  /** For 'matched': the browser connection it was paired with. */
  browserId: string | null;
  tabId: number | null;
  /** |server openedAt − browser openedAt|, ms, for 'matched'. */
  deltaMs: number | null;
}

export interface Comparison {
  serverCount: number;
  browserCount: number;
  rows: ServerRow[];
  /** The browser's connections with the server record each was paired with (null: none). */
  browser: { connection: SnapshotConnection; serverId: string | null }[];
  /** Server connections that no tab of this browser can own: other user agent, plus those with ours beyond this browser's count. */
  heldElsewhere: number;
  /** … of which certainly another browser or device (user agent differs). */
  otherUserAgent: number;
  /** This browser's connections the server does not count. */
  notOnServer: number;
  /** One-line summary, and one line per difference. */
  summary: string;
  explanations: string[];
}

/** This browser's connections of the project the server can count: open ones. */
export function browserConnections(connections: readonly SnapshotConnection[], projectKey: string): SnapshotConnection[] {
  return connections.filter((c) => c.projectKey === projectKey && c.state === 'open');
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Pair the server's records with this browser's open connections.
 *
 * What is reliable: the server's count, and its record of the user agent
 * (a record whose user agent is not this browser's is not ours). What is
 * not: connection ids (the server's id is not visible to the page's
 * EventSource) and times (clocks differ, and a reconnect makes a new server
 * record while the browser keeps one connection). So the counts explain the
 * difference, and times only label which record is probably which.
 */
export function compareConnections(list: ServerList, browser: readonly SnapshotConnection[], ownUserAgent: string, tolerance = MATCH_TOLERANCE_MS): Comparison {
  const rows: ServerRow[] = list.connections.map((c) => ({
    connection: c,
    kind: c.userAgent !== null && c.userAgent !== ownUserAgent ? 'elsewhere' : 'unmatched',
    browserId: null,
    tabId: null,
    deltaMs: null,
  }));
  // Closest pairs first, each side used once.
  const pairs: { row: ServerRow; conn: SnapshotConnection; delta: number }[] = [];
  for (const row of rows) {
    if (row.kind === 'elsewhere' || row.connection.openedAt === null) continue;
    for (const conn of browser) {
      const delta = Math.abs(row.connection.openedAt - conn.openedAt);
      if (delta <= tolerance) pairs.push({ row, conn, delta });
    }
  }
  pairs.sort((a, b) => a.delta - b.delta);
  const usedBrowser = new Map<string, string>();
  for (const p of pairs) {
    if (p.row.kind === 'matched' || usedBrowser.has(p.conn.id)) continue;
    p.row.kind = 'matched';
    p.row.browserId = p.conn.id;
    p.row.tabId = p.conn.tabId;
    p.row.deltaMs = p.delta;
    usedBrowser.set(p.conn.id, p.row.connection.id);
  }

  // The server's count can exceed its list (a bounded or partial list): the extra are unknown, counted as "same agent".
  const serverCount = Math.max(list.count, list.connections.length);
  const browserCount = browser.length;
  const otherUserAgent = rows.filter((r) => r.kind === 'elsewhere').length;
  const sameAgent = serverCount - otherUserAgent;
  const extraSameAgent = Math.max(0, sameAgent - browserCount);
  const heldElsewhere = otherUserAgent + extraSameAgent;
  const notOnServer = Math.max(0, browserCount - sameAgent);

  const summary = `Server holds ${serverCount}, this browser holds ${browserCount}${heldElsewhere === 0 && notOnServer === 0 ? ': the same connections' : ''}.`;
  const explanations: string[] = [];
  if (heldElsewhere > 0) {
    const parts: string[] = [];
    if (otherUserAgent > 0) parts.push(`${otherUserAgent} from another browser or device (a different user agent)`);
    if (extraSameAgent > 0)
      parts.push(`${extraSameAgent} with this browser's user agent beyond what this browser holds (another window or profile of the same browser, or a tab that closed or crashed whose connection the server has not reaped yet)`);
    explanations.push(`${heldElsewhere} held elsewhere or not yet reaped: ${parts.join('; ')}.`);
  }
  if (notOnServer > 0) {
    explanations.push(
      `${plural(notOnServer, "of this browser's connections is", "of this browser's connections are")} not in the server's list (closed on the server's side, held by a server this endpoint does not see, or not registered yet).`,
    );
  }
  return {
    serverCount,
    browserCount,
    rows,
    browser: browser.map((c) => ({ connection: c, serverId: usedBrowser.get(c.id) ?? null })),
    heldElsewhere,
    otherUserAgent,
    notOnServer,
    summary,
    explanations,
  };
}
