/**
 * The verdicts behind the Playwright helpers, as pure functions of one
 * snapshot: is there exactly one leader, how many connections are open, was
 * every Retry-After respected. Each verdict says in one sentence what is
 * wrong; `describeProject` adds what every tab was doing.
 */
import type { Snapshot, SnapshotAnomaly, SnapshotConnection, SnapshotRateLimit, SnapshotRole } from '../shared/protocol.js';
import { formatClock, formatDuration } from './describe.js';

export interface Verdict {
  ok: boolean;
  /** One sentence: what was found (and, when not ok, why it is wrong). */
  summary: string;
  /** What to change in the app, when the cause is clear. */
  hint?: string;
}

export interface LeaderInfo {
  tabId: number;
  url: string;
  title: string;
  source: SnapshotRole['source'];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function openConnections(s: Snapshot, projectKey: string): SnapshotConnection[] {
  return s.connections.filter((c) => c.projectKey === projectKey && c.state === 'open');
}

/** `tab 12: 1, tab 13: 2` */
function perTab(conns: readonly SnapshotConnection[]): string {
  const counts = new Map<number, number>();
  for (const c of conns) counts.set(c.tabId, (counts.get(c.tabId) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([tab, n]) => `tab ${tab}: ${n}`).join(', ');
}

function missingProject(s: Snapshot, projectKey: string): Verdict | null {
  if (s.projects.some((p) => p.projectKey === projectKey)) return null;
  return { ok: false, summary: `no tab has opened a connection, channel or lock of project "${projectKey}" yet` };
}

const SHARE_HINT =
  'Each tab connects by itself. Let one tab hold the connection (elect it with a Web Lock, navigator.locks) and relay events to the other tabs over a BroadcastChannel.';

/** The one leader of the project, when there is exactly one. */
export function leaderOf(s: Snapshot, projectKey: string): LeaderInfo | null {
  const project = s.projects.find((p) => p.projectKey === projectKey);
  if (!project || project.leaderTabIds.length !== 1) return null;
  const tabId = project.leaderTabIds[0] as number;
  const tab = s.tabs.find((t) => t.tabId === tabId);
  const role = project.roles.find((r) => r.tabId === tabId);
  return { tabId, url: tab?.url ?? '', title: tab?.title ?? '', source: role?.source ?? 'inferred' };
}

export function leaderVerdict(s: Snapshot, projectKey: string): Verdict {
  const missing = missingProject(s, projectKey);
  if (missing) return missing;
  const project = s.projects.find((p) => p.projectKey === projectKey);
  const leaders = project?.leaderTabIds ?? [];
  if (leaders.length === 1) return { ok: true, summary: `tab ${leaders[0]} leads` };
  if (leaders.length > 1) return { ok: false, summary: `${leaders.length} tabs lead at once (tabs ${leaders.join(', ')})` };
  const standalone = project?.roles.filter((r) => r.role === 'standalone') ?? [];
  if (standalone.length > 0) {
    // Tabs that tried a connection of their own and were refused, holding nothing now.
    const refused = [...new Set(s.rateLimits.filter((r) => r.projectKey === projectKey && r.method !== 'HEAD').map((r) => r.tabId))].filter(
      (id) => !standalone.some((r) => r.tabId === id) && !openConnections(s, projectKey).some((c) => c.tabId === id),
    );
    return {
      ok: false,
      summary:
        `no tab leads: ${plural(standalone.length, 'tab holds its', 'tabs hold their')} own connection without sharing it (tab ${standalone.map((r) => r.tabId).join(', ')})` +
        (refused.length > 0 ? `, and ${plural(refused.length, 'more tab was', 'more tabs were')} refused trying to open ${refused.length === 1 ? 'its' : 'their'} own (tab ${refused.join(', ')})` : ''),
      hint: SHARE_HINT,
    };
  }
  const followers = project?.followerTabIds ?? [];
  return {
    ok: false,
    summary: followers.length > 0 ? `no tab leads: ${plural(followers.length, 'follower waits', 'followers wait')} for a leader` : 'no tab leads',
  };
}

export interface SingleLeaderOptions {
  /** Also expect exactly this many follower tabs. */
  followers?: number;
}

/**
 * Exactly one tab leads, no other tab of the project holds an open
 * connection, no split-brain anomaly, and (optionally) so many followers.
 */
export function singleLeaderVerdict(s: Snapshot, projectKey: string, opts: SingleLeaderOptions = {}): Verdict {
  const leader = leaderVerdict(s, projectKey);
  if (!leader.ok) return leader;
  const project = s.projects.find((p) => p.projectKey === projectKey);
  const leaderTab = project?.leaderTabIds[0];
  const split = project?.anomalies.find((a) => a.kind === 'split-brain');
  if (split) return { ok: false, summary: `the extension reports a split brain: ${split.message}` };
  const others = openConnections(s, projectKey).filter((c) => c.tabId !== leaderTab);
  if (others.length > 0) {
    return {
      ok: false,
      summary: `tab ${leaderTab} leads, but other tabs hold open connections too (${perTab(others)})`,
      hint: 'Only the leader should connect; the other tabs should receive the leader\'s events over a BroadcastChannel.',
    };
  }
  const followers = project?.followerTabIds ?? [];
  if (opts.followers !== undefined && followers.length !== opts.followers) {
    return {
      ok: false,
      summary: `tab ${leaderTab} leads, with ${plural(followers.length, 'follower')}${followers.length > 0 ? ` (tab ${followers.join(', ')})` : ''}, expected ${opts.followers}`,
    };
  }
  return { ok: true, summary: `tab ${leaderTab} leads${followers.length > 0 ? `, tab ${followers.join(', ')} follow` : ''}` };
}

/** Exactly `n` open connections for the project, across all tabs. */
export function connectionsVerdict(s: Snapshot, projectKey: string, n: number): Verdict {
  const open = openConnections(s, projectKey);
  if (open.length === n) return { ok: true, summary: `${plural(n, 'open connection')}${n > 0 ? ` (${perTab(open)})` : ''}` };
  if (open.length === 0) {
    const missing = missingProject(s, projectKey);
    const connecting = s.connections.filter((c) => c.projectKey === projectKey && c.state === 'connecting');
    const why = missing ? `: ${missing.summary}` : connecting.length > 0 ? ` (${connecting.length} connecting: ${perTab(connecting)})` : '';
    return { ok: false, summary: `expected ${plural(n, 'open connection')}, found none${why}` };
  }
  const tabs = new Set(open.map((c) => c.tabId));
  const connecting = s.connections.filter((c) => c.projectKey === projectKey && c.state === 'connecting');
  return {
    ok: false,
    summary:
      `expected ${plural(n, 'open connection')}, found ${open.length} (${perTab(open)})` +
      (connecting.length > 0 ? `, and ${connecting.length} more connecting (${perTab(connecting)})` : ''),
    ...(open.length > n && tabs.size > 1 ? { hint: SHARE_HINT } : {}),
  };
}

// ---------------------------------------------------------------------------
// Retry-After
// ---------------------------------------------------------------------------

/** A new request for the project's stream, seen from one tab. */
export interface Attempt {
  at: number;
  /** `new-connection`: the page created an EventSource or fetch stream (page time of its creation); `response`: a response to a GET whose connection was not seen being created after the refusal. */
  kind: 'new-connection' | 'response';
  connectionId: string | null;
}

export interface RetryPair {
  tabId: number;
  refusal: SnapshotRateLimit;
  /** The first attempt after the refusal, or null while the tab still waits. */
  next: Attempt | null;
  /** How long the tab waited after the refusal (to the next attempt). */
  waitedMs: number | null;
  /** How much sooner than Retry-After the next attempt came (> 0 is a violation). */
  earlyByMs: number;
}

export interface RetryReport {
  /** Time of the snapshot it was computed from. */
  at: number;
  /** Refusals of GET requests that carried a Retry-After, oldest first. */
  refusals: SnapshotRateLimit[];
  /** Each refusal with the tab's next attempt. */
  pairs: RetryPair[];
  /** The pairs whose next attempt came sooner than Retry-After allowed (beyond the tolerance). */
  violations: RetryPair[];
  /** The extension's own retry-storm anomalies for the project (it also sees reconnects of an EventSource without a new request of its own). */
  storms: SnapshotAnomaly[];
  ok: boolean;
}

export interface RetryOptions {
  /** Attempts this much sooner than Retry-After are still accepted (clock rounding). Default 50 ms. */
  toleranceMs?: number;
}

/**
 * Is a response that came after a refusal the answer to a new request (a
 * retry)? The extension matches responses to connections by tab and URL, so
 * parallel requests to one URL can all be matched to one connection: only
 * count what cannot be a parallel request.
 */
function isNewRequest(r: SnapshotRateLimit, refusal: SnapshotRateLimit, byId: ReadonlyMap<string, SnapshotConnection>): boolean {
  // Not matched to any stream the page opened: e.g. a refused fetch, which never becomes a stream.
  if (r.connectionId === null) return true;
  const c = byId.get(r.connectionId);
  if (!c) return true;
  // Created after the refusal: its creation is already an attempt, and an earlier one.
  if (c.openedAt > refusal.at) return false;
  // Closed before the refusal: a closed connection sends nothing, so this was a new request.
  if (c.closedAt !== null && c.closedAt <= refusal.at) return true;
  // Live at the refusal: a request sent in parallel, or a reconnect of that
  // connection, which the extension itself checks (retry-storm).
  return false;
}

/**
 * Did every tab wait at least Retry-After after a refusal before it tried
 * again? Per tab and project: after each refused GET that carried a
 * Retry-After, the next attempt is the first of
 * - a connection the tab created after the refusal (an EventSource or fetch
 *   stream: its creation time in the page), or
 * - a later refused GET that no live stream of the page explains (a fetch
 *   refused before it became a stream; time the response arrived: lenient).
 * Responses matched to streams that were live at the refusal are parallel
 * requests or reconnects of those streams; the extension's own `retry-storm`
 * anomaly judges reconnects (page time), and counts as a violation here.
 * HEAD probes are not attempts (they open nothing).
 */
export function checkRetryRespected(s: Snapshot, projectKey: string, opts: RetryOptions = {}): RetryReport {
  const tolerance = opts.toleranceMs ?? 50;
  const refusals = s.rateLimits.filter((r) => r.projectKey === projectKey && r.method !== 'HEAD' && r.retryAfterMs !== null);
  const byId = new Map(s.connections.map((c) => [c.id, c]));
  const pairs: RetryPair[] = [];
  for (const refusal of refusals) {
    const attempts: Attempt[] = [];
    for (const c of s.connections) {
      if (c.tabId === refusal.tabId && c.projectKey === projectKey && c.openedAt > refusal.at) {
        attempts.push({ at: c.openedAt, kind: 'new-connection', connectionId: c.id });
      }
    }
    for (const r of s.rateLimits) {
      if (r === refusal || r.tabId !== refusal.tabId || r.projectKey !== projectKey || r.method === 'HEAD' || r.at <= refusal.at) continue;
      if (isNewRequest(r, refusal, byId)) attempts.push({ at: r.at, kind: 'response', connectionId: r.connectionId });
    }
    attempts.sort((a, b) => a.at - b.at);
    const next = attempts[0] ?? null;
    const allowedAt = refusal.at + (refusal.retryAfterMs ?? 0);
    pairs.push({
      tabId: refusal.tabId,
      refusal,
      next,
      waitedMs: next ? next.at - refusal.at : null,
      earlyByMs: next ? allowedAt - next.at : 0,
    });
  }
  const violations = pairs.filter((p) => p.next !== null && p.earlyByMs > tolerance);
  const storms = (s.projects.find((p) => p.projectKey === projectKey)?.anomalies ?? []).filter((a) => a.kind === 'retry-storm');
  return { at: s.generatedAt, refusals, pairs, violations, storms, ok: violations.length === 0 && storms.length === 0 };
}

/** One refusal and what the tab did next, in words; `now` (the snapshot's time) says how long a waiting tab has waited. */
export function describeRetryPair(p: RetryPair, now?: number): string {
  const r = p.refusal;
  const head = `tab ${p.tabId}: ${r.status} at ${formatClock(r.at)} said Retry-After ${formatDuration(r.retryAfterMs ?? 0)}`;
  if (!p.next) return `${head}; no new attempt ${now !== undefined ? `in the ${formatDuration(now - r.at)} since` : 'since'}`;
  const what = p.next.kind === 'new-connection' ? `a new connection (${p.next.connectionId})` : `another request${p.next.connectionId ? ` of ${p.next.connectionId}` : ''}`;
  const when = `${formatDuration(p.waitedMs ?? 0)} later`;
  return p.earlyByMs > 0
    ? `${head}, but ${what} came ${when}: ${formatDuration(p.earlyByMs)} too early`
    : `${head}; ${what} came ${when}`;
}

export interface RetryVerdictOptions {
  /** As given to checkRetryRespected (default 50 ms). */
  toleranceMs?: number;
  /** Fail while no refused request with a Retry-After has been seen (default true). */
  requireRefusal?: boolean;
  /** Fail while a refused tab has not tried again (default false). */
  requireRetry?: boolean;
}

export function retryVerdict(report: RetryReport, projectKey: string, opts: RetryVerdictOptions = {}): Verdict & { final: boolean } {
  if (!report.ok) {
    const lines = report.violations.map((p) => describeRetryPair(p));
    for (const a of report.storms) lines.push(`the extension reports a retry storm (tabs ${a.tabIds.join(', ')}): ${a.message}`);
    return {
      ok: false,
      final: true,
      summary: `a tab tried again sooner than Retry-After allowed:\n  - ${lines.join('\n  - ')}`,
      hint: 'After a 429 or 503, wait at least Retry-After (seconds or an HTTP date) before the next request, with jitter; let only the leader retry. A native EventSource cannot read Retry-After: probe with fetch or HEAD, or use a fetch-based stream.',
    };
  }
  if ((opts.requireRefusal ?? true) && report.refusals.length === 0) {
    return {
      ok: false,
      final: false,
      summary: `no request of project "${projectKey}" has been refused with a Retry-After yet, so there is nothing to check (pass { requireRefusal: false } to accept that)`,
    };
  }
  // A refusal whose Retry-After has not run out yet, with no attempt since: an
  // early retry may still come, so nothing can be concluded about it.
  const tolerance = opts.toleranceMs ?? 50;
  const open = report.pairs.filter((p) => p.next === null && report.at < p.refusal.at + (p.refusal.retryAfterMs ?? 0) + tolerance);
  if (open.length > 0) {
    const lines = open.map((p) => `${describeRetryPair(p, report.at)}; the wait ends in ${formatDuration(p.refusal.at + (p.refusal.retryAfterMs ?? 0) - report.at)}`);
    return {
      ok: false,
      final: false,
      summary: `cannot judge yet: a tab is still inside its Retry-After wait (give a timeout longer than Retry-After):\n  - ${lines.join('\n  - ')}`,
    };
  }
  const waiting = report.pairs.filter((p) => p.next === null);
  if (opts.requireRetry && waiting.length > 0) {
    return {
      ok: false,
      final: false,
      summary: `a refused tab has not tried again:\n  - ${waiting.map((p) => describeRetryPair(p, report.at)).join('\n  - ')}`,
    };
  }
  const done = report.pairs.filter((p) => p.next !== null);
  return {
    ok: true,
    final: false,
    summary: `${plural(report.refusals.length, 'refusal')} with Retry-After, ${plural(done.length, 'retry', 'retries')}, none too early`,
  };
}
