/**
 * Who leads and who follows, per project. Pure: a function of the model.
 * Order of evidence: a role the app declared through the page hook, then Web
 * Locks (the tab holding the project's lock leads), then inference from what
 * the tab holds (an SSE connection and a channel: leader; a channel only:
 * follower; a connection only: standalone).
 */
import type { Role, RoleSource, SnapshotRole } from '../shared/protocol';
import type { ConnectionRecord, State } from './state';

export interface ProjectRoles {
  projectKey: string;
  roles: SnapshotRole[];
  leaderTabIds: number[];
  followerTabIds: number[];
  /** Open connections of this browser for the project. */
  openConnections: number;
}

interface TabEvidence {
  holdsSse: boolean;
  hasChannel: boolean;
  holdsLock: boolean;
  waitsForLock: boolean;
}

/** A connection that holds (or is re-establishing) a server stream. */
export function holdsStream(c: ConnectionRecord): boolean {
  return c.state === 'open' || (c.state === 'connecting' && c.lastOpenAt !== null);
}

export function computeRoles(state: State): Map<string, ProjectRoles> {
  const evidence = new Map<string, Map<number, TabEvidence>>();
  const openCount = new Map<string, number>();
  const of = (projectKey: string, tabId: number): TabEvidence => {
    let tabs = evidence.get(projectKey);
    if (!tabs) evidence.set(projectKey, (tabs = new Map()));
    let ev = tabs.get(tabId);
    if (!ev) tabs.set(tabId, (ev = { holdsSse: false, hasChannel: false, holdsLock: false, waitsForLock: false }));
    return ev;
  };

  for (const c of state.connections.values()) {
    if (c.projectKey === null || c.state === 'closed') continue;
    const ev = of(c.projectKey, c.tabId);
    if (holdsStream(c)) ev.holdsSse = true;
    if (c.state === 'open') openCount.set(c.projectKey, (openCount.get(c.projectKey) ?? 0) + 1);
  }
  for (const ch of state.channels.values()) {
    if (ch.projectKey !== null && ch.open) of(ch.projectKey, ch.tabId).hasChannel = true;
  }
  for (const l of state.locks.values()) {
    if (l.projectKey === null) continue;
    if (l.state === 'held' && l.mode === 'exclusive') of(l.projectKey, l.tabId).holdsLock = true;
    else if (l.state === 'queued') of(l.projectKey, l.tabId).waitsForLock = true;
  }
  for (const d of state.declared.values()) if (!d.suspended) of(d.projectKey, d.tabId);

  const result = new Map<string, ProjectRoles>();
  for (const [projectKey, tabs] of evidence) {
    const roles: SnapshotRole[] = [];
    for (const [tabId, ev] of [...tabs].sort((a, b) => a[0] - b[0])) {
      const found = state.declared.get(`${tabId}|${projectKey}`);
      const declared = found && !found.suspended ? found : undefined;
      let role: Role = 'unknown';
      let source: RoleSource = 'inferred';
      if (declared) {
        role = declared.role;
        source = 'declared';
      } else if (ev.holdsLock) {
        role = 'leader';
        source = 'lock';
      } else if (ev.waitsForLock) {
        // Waiting for the project's lock means somebody else holds it, even
        // when the holder is not visible here (another profile, a frame, a
        // page in the back/forward cache): not the leader.
        role = 'follower';
        source = 'lock';
      } else if (ev.holdsSse && ev.hasChannel) role = 'leader';
      else if (ev.hasChannel) role = 'follower';
      else if (ev.holdsSse) role = 'standalone';
      roles.push({ tabId, role, source });
    }
    result.set(projectKey, {
      projectKey,
      roles,
      leaderTabIds: roles.filter((r) => r.role === 'leader').map((r) => r.tabId),
      followerTabIds: roles.filter((r) => r.role === 'follower').map((r) => r.tabId),
      openConnections: openCount.get(projectKey) ?? 0,
    });
  }
  return result;
}
