/**
 * What the tabs of a project were doing, in words: the body of every failure
 * message of the Playwright helpers. Pure: a snapshot in, text out.
 */
import type { Snapshot, SnapshotConnection, SnapshotRateLimit, SnapshotRole } from '../shared/protocol.js';

/** At most this many connections are listed per tab; the rest are counted. */
const MAX_CONNECTIONS_LISTED = 4;

/** `0.4 s`, `12 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < 10_000) return `${Math.round(abs / 100) / 10} s`;
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  const min = Math.floor(abs / 60_000);
  const s = Math.round((abs - min * 60_000) / 1000);
  return s === 0 ? `${min} min` : `${min} min ${s} s`;
}

/** `10:51:03.120` (UTC), for lining events up with server logs. */
export function formatClock(t: number): string {
  return new Date(t).toISOString().slice(11, 23);
}

function ago(s: Snapshot, t: number): string {
  return `${formatDuration(s.generatedAt - t)} ago`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Every tab that did anything for the project, sorted. */
export function projectTabIds(s: Snapshot, projectKey: string): number[] {
  const ids = new Set<number>();
  const project = s.projects.find((p) => p.projectKey === projectKey);
  for (const r of project?.roles ?? []) ids.add(r.tabId);
  for (const c of s.connections) if (c.projectKey === projectKey) ids.add(c.tabId);
  for (const r of s.rateLimits) if (r.projectKey === projectKey) ids.add(r.tabId);
  for (const ch of s.channels) if (ch.projectKey === projectKey) ids.add(ch.tabId);
  for (const l of s.locks) if (l.projectKey === projectKey) ids.add(l.tabId);
  return [...ids].sort((a, b) => a - b);
}

/** Why the extension gave a tab its role. */
export function explainRole(r: SnapshotRole | undefined): string {
  if (!r) return 'none (no open connection, channel or lock of the project)';
  const why =
    r.source === 'declared'
      ? 'declared by the app through the page hook'
      : r.source === 'lock'
        ? r.role === 'leader'
          ? "holds the project's Web Lock"
          : "waits for the project's Web Lock"
        : r.role === 'leader'
          ? 'inferred: holds a connection and a BroadcastChannel'
          : r.role === 'follower'
            ? 'inferred: has a BroadcastChannel and no connection'
            : r.role === 'standalone'
              ? 'inferred: holds its own connection and no BroadcastChannel'
              : 'nothing shows its role yet';
  return `${r.role} (${why})`;
}

export function describeConnection(s: Snapshot, c: SnapshotConnection): string {
  const parts = [`${c.transport} ${c.state}`];
  if (c.state === 'closed' && c.closedAt !== null) parts.push(`closed ${ago(s, c.closedAt)}`);
  parts.push(`opened ${ago(s, c.openedAt)}`);
  if (c.httpStatus !== undefined) parts.push(`HTTP ${c.httpStatus}`);
  parts.push(plural(c.reconnects, 'reconnect'), plural(c.messageCount, 'message'));
  return `${c.id} ${parts.join(', ')} · ${c.url}`;
}

export function describeRateLimit(s: Snapshot, r: SnapshotRateLimit): string {
  const parts = [`${r.status} to ${r.method} ${ago(s, r.at)} (${formatClock(r.at)})`];
  parts.push(r.retryAfterMs === null ? 'no Retry-After' : `Retry-After ${formatDuration(r.retryAfterMs)}`);
  if (r.limit !== null) parts.push(`${r.current ?? '?'} of ${r.limit} connections in use`);
  return parts.join(', ');
}

/** The lines about one tab of a project (indented by the caller). */
export function describeTab(s: Snapshot, projectKey: string, tabId: number): string[] {
  const tab = s.tabs.find((t) => t.tabId === tabId);
  const role = s.projects.find((p) => p.projectKey === projectKey)?.roles.find((r) => r.tabId === tabId);
  const head = tab ? `tab ${tabId} · "${tab.title}" · ${tab.url}` : `tab ${tabId} · (closed, or not instrumented)`;
  const lines = [head, `  role: ${explainRole(role)}`];

  const conns = s.connections.filter((c) => c.tabId === tabId && c.projectKey === projectKey);
  const live = conns.filter((c) => c.state !== 'closed');
  const closed = conns.length - live.length;
  const open = live.filter((c) => c.state === 'open').length;
  const summary = conns.length === 0 ? 'none' : `${open} open, ${live.length - open} connecting, ${closed} closed`;
  lines.push(`  connections: ${summary}`);
  // The live ones first, then the newest closed ones.
  const listed = [...live, ...conns.filter((c) => c.state === 'closed').sort((a, b) => b.openedAt - a.openedAt)].slice(0, MAX_CONNECTIONS_LISTED);
  for (const c of listed) lines.push(`    - ${describeConnection(s, c)}`);
  if (conns.length > listed.length) lines.push(`    - and ${conns.length - listed.length} more`);

  const channels = s.channels.filter((ch) => ch.tabId === tabId && ch.projectKey === projectKey && ch.open);
  const locks = s.locks.filter((l) => l.tabId === tabId && l.projectKey === projectKey && (l.state === 'held' || l.state === 'queued'));
  const shared = [
    ...channels.map((ch) => `BroadcastChannel "${ch.name}" (posted ${ch.posted}, received ${ch.received})`),
    ...locks.map((l) => `Web Lock "${l.name}" ${l.state} (${l.mode})`),
  ];
  lines.push(`  channels and locks: ${shared.length > 0 ? shared.join('; ') : 'none'}`);

  const refusals = s.rateLimits.filter((r) => r.tabId === tabId && r.projectKey === projectKey);
  const last = refusals.at(-1);
  lines.push(`  last 429/503: ${last ? `${describeRateLimit(s, last)}${refusals.length > 1 ? ` (${refusals.length} in all)` : ''}` : 'none'}`);
  return lines;
}

/**
 * Everything about one project: a summary line, every tab, the anomalies.
 * Ends without a newline.
 */
export function describeProject(s: Snapshot, projectKey: string): string {
  const project = s.projects.find((p) => p.projectKey === projectKey);
  const tabIds = projectTabIds(s, projectKey);
  if (!project && tabIds.length === 0) {
    const known = s.projects.map((p) => `"${p.projectKey}"`);
    const pages = s.tabs.map((t) => `  tab ${t.tabId} · "${t.title}" · ${t.url}`);
    return [
      `No tab has used project "${projectKey}". Projects seen: ${known.length > 0 ? known.join(', ') : 'none'}.`,
      'The project key comes from the projectId, project_id or project query parameter of the stream URL, or from a',
      'BroadcastChannel / Web Lock name like chat-<key> (see the extension\'s settings).',
      pages.length > 0 ? 'Instrumented tabs:' : 'Instrumented tabs: none',
      ...pages,
    ].join('\n');
  }
  const open = s.connections.filter((c) => c.projectKey === projectKey && c.state === 'open').length;
  const leaders = project?.leaderTabIds ?? [];
  const followers = project?.followerTabIds ?? [];
  const lines = [
    `Project "${projectKey}" at ${formatClock(s.generatedAt)}: ${plural(tabIds.length, 'tab')}, ` +
      `${plural(leaders.length, 'leader')}${leaders.length > 0 ? ` (tab ${leaders.join(', ')})` : ''}, ` +
      `${plural(followers.length, 'follower')}, ${plural(open, 'open connection')}, ` +
      `server limit ${project?.limit ?? 'not announced'}.`,
  ];
  for (const id of tabIds) lines.push(...describeTab(s, projectKey, id).map((l) => `  ${l}`));
  const anomalies = project?.anomalies ?? [];
  lines.push(anomalies.length === 0 ? 'Anomalies: none' : 'Anomalies:');
  for (const a of anomalies) lines.push(`  - ${a.kind} (tabs ${a.tabIds.join(', ')}): ${a.message}`);
  return lines.join('\n');
}
