/**
 * What each view shows, computed from a snapshot: counts, roles, limit usage,
 * a project's tabs, channels, locks and rate limits. Pure and small, so the
 * components only render.
 */
import type {
  ConnectionState,
  Role,
  RoleSource,
  Snapshot,
  SnapshotChannel,
  SnapshotConnection,
  SnapshotLock,
  SnapshotProject,
  SnapshotRateLimit,
} from '../../shared/protocol';

export type StateCounts = Record<ConnectionState, number>;

export function countStates(connections: readonly SnapshotConnection[]): StateCounts {
  const counts: StateCounts = { open: 0, connecting: 0, closed: 0 };
  for (const c of connections) counts[c.state]++;
  return counts;
}

/** Projects the tab takes part in (has a role in). */
export function projectsOfTab(snapshot: Snapshot, tabId: number): SnapshotProject[] {
  return snapshot.projects.filter((p) => p.roles.some((r) => r.tabId === tabId));
}

export interface TabRole {
  projectKey: string;
  role: Role;
  source: RoleSource;
}

/** The tab's role in each of its projects; empty when it has none ("none" in the badge). */
export function rolesOfTab(snapshot: Snapshot, tabId: number): TabRole[] {
  const out: TabRole[] = [];
  for (const p of snapshot.projects) {
    const r = p.roles.find((x) => x.tabId === tabId);
    if (r) out.push({ projectKey: p.projectKey, role: r.role, source: r.source });
  }
  return out;
}

export type BadgeRole = Role | 'none';

/** The one badge for the tab: its role in its first project, or none. */
export function badgeOf(roles: readonly TabRole[]): { role: BadgeRole; source: RoleSource | null } {
  const first = roles[0];
  return first ? { role: first.role, source: first.source } : { role: 'none', source: null };
}

export const ROLE_SOURCE_TEXT: Record<RoleSource, string> = {
  declared: 'declared by the page',
  lock: 'from Web Locks',
  inferred: 'inferred from connections and channels',
};

export interface LimitUsage {
  limit: number | null;
  /** Connections in use: what the server last said, else what this browser holds open. */
  inUse: number;
  from: 'server' | 'browser';
  text: string;
  full: boolean;
}

/** "5 / 5 in use": the server's numbers (from its headers) when it sent them. */
export function limitUsage(snapshot: Snapshot, project: SnapshotProject): LimitUsage {
  let latest: SnapshotRateLimit | undefined;
  for (const rl of snapshot.rateLimits) {
    if (rl.projectKey === project.projectKey && rl.current !== null && (!latest || rl.at >= latest.at)) latest = rl;
  }
  const fromServer = latest?.current ?? null;
  const inUse = fromServer ?? project.openConnections;
  const from = fromServer === null ? 'browser' : 'server';
  const limit = project.limit ?? latest?.limit ?? null;
  const text = limit === null ? `${inUse} in use, no limit announced` : `${inUse} / ${limit} in use`;
  return { limit, inUse, from, text, full: limit !== null && inUse >= limit };
}

export function connectionsOfProject(snapshot: Snapshot, projectKey: string): SnapshotConnection[] {
  return snapshot.connections.filter((c) => c.projectKey === projectKey);
}

/** Time a tab has led the project, over the kept history; a running span counts to `now`. */
export function leaderTimeMs(project: SnapshotProject, tabId: number, now: number): number {
  let ms = 0;
  for (const span of project.leaderHistory) {
    if (span.tabId !== tabId) continue;
    ms += Math.max(0, (span.to ?? now) - span.from);
  }
  return ms;
}

export interface ProjectTabRow {
  tabId: number;
  title: string;
  url: string;
  role: Role;
  source: RoleSource;
  open: number;
  connections: number;
  /** Channel messages the tab posted / received on the project's channels. */
  posted: number;
  received: number;
  leaderMs: number;
}

export function projectTabRows(snapshot: Snapshot, project: SnapshotProject, now: number): ProjectTabRow[] {
  return project.roles.map((r) => {
    const tab = snapshot.tabs.find((t) => t.tabId === r.tabId);
    const conns = snapshot.connections.filter((c) => c.tabId === r.tabId && c.projectKey === project.projectKey);
    const chans = snapshot.channels.filter((ch) => ch.tabId === r.tabId && ch.projectKey === project.projectKey);
    return {
      tabId: r.tabId,
      title: tab?.title ?? '',
      url: tab?.url ?? '',
      role: r.role,
      source: r.source,
      open: conns.filter((c) => c.state === 'open').length,
      connections: conns.length,
      posted: chans.reduce((n, ch) => n + ch.posted, 0),
      received: chans.reduce((n, ch) => n + ch.received, 0),
      leaderMs: leaderTimeMs(project, r.tabId, now),
    };
  });
}

export interface LeaderChange {
  tabId: number;
  from: number;
  to: number | null;
}

/** Leader spans newest first, for the "leader changes" list. */
export function leaderChanges(project: SnapshotProject): LeaderChange[] {
  return [...project.leaderHistory].sort((a, b) => b.from - a.from);
}

export interface ChannelGroup {
  name: string;
  projectKey: string | null;
  /** Instances still open. */
  open: number;
  senders: { tabId: number; count: number }[];
  receivers: { tabId: number; count: number }[];
  posted: number;
  received: number;
}

function addTo(list: { tabId: number; count: number }[], tabId: number, n: number): void {
  if (n === 0) return;
  const row = list.find((x) => x.tabId === tabId);
  if (row) row.count += n;
  else list.push({ tabId, count: n });
}

/** BroadcastChannel traffic per channel name, with the tabs that send and receive. */
export function channelGroups(channels: readonly SnapshotChannel[]): ChannelGroup[] {
  const groups = new Map<string, ChannelGroup>();
  for (const ch of channels) {
    let g = groups.get(ch.name);
    if (!g) groups.set(ch.name, (g = { name: ch.name, projectKey: ch.projectKey, open: 0, senders: [], receivers: [], posted: 0, received: 0 }));
    if (ch.open) g.open++;
    g.posted += ch.posted;
    g.received += ch.received;
    addTo(g.senders, ch.tabId, ch.posted);
    addTo(g.receivers, ch.tabId, ch.received);
  }
  for (const g of groups.values()) {
    g.senders.sort((a, b) => a.tabId - b.tabId);
    g.receivers.sort((a, b) => a.tabId - b.tabId);
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const LOCK_ORDER: Record<SnapshotLock['state'], number> = { held: 0, queued: 1, unavailable: 2, aborted: 3, released: 4 };

/** Held locks first, then queued, then the history, newest first within each. */
export function sortLocks(locks: readonly SnapshotLock[]): SnapshotLock[] {
  return [...locks].sort((a, b) => LOCK_ORDER[a.state] - LOCK_ORDER[b.state] || b.requestedAt - a.requestedAt);
}

/** Rate limits newest first. */
export function sortRateLimits(list: readonly SnapshotRateLimit[]): SnapshotRateLimit[] {
  return [...list].sort((a, b) => b.at - a.at);
}

/** Connections newest first. */
export function sortConnections(list: readonly SnapshotConnection[]): SnapshotConnection[] {
  return [...list].sort((a, b) => b.openedAt - a.openedAt);
}

/** How long the connection has lived (to now while it is not closed). */
export function connectionDuration(c: SnapshotConnection, now: number): number {
  return Math.max(0, (c.closedAt ?? now) - c.openedAt);
}

export function tabLabel(snapshot: Snapshot, tabId: number): string {
  const tab = snapshot.tabs.find((t) => t.tabId === tabId);
  return tab?.title ? `${tab.title} (tab ${tabId})` : `tab ${tabId}`;
}
