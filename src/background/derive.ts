/**
 * From the model to the public snapshot (docs/snapshot-format.md), with the
 * anomalies explained in words. Pure: state and time in, snapshot out.
 */
import {
  SNAPSHOT_SCHEMA_VERSION,
  type Snapshot,
  type SnapshotAnomaly,
  type SnapshotConnection,
  type SnapshotProject,
} from '../shared/protocol';
import { computeRoles } from './roles';
import type { ConnectionRecord, State } from './state';

export const ANOMALY = {
  /** Followers may be without a leader this long during a normal handover. */
  strandedGraceMs: 3_000,
  /** A retry storm stays reported this long after the last early retry. */
  retryStormWindowMs: 60_000,
  /** Chrome allows six HTTP/1.1 connections per host. */
  originConnectionLimit: 6,
} as const;

export function toSnapshotConnection(c: ConnectionRecord): SnapshotConnection {
  const out: SnapshotConnection = {
    id: c.id,
    tabId: c.tabId,
    frameId: c.frameId,
    url: c.url,
    projectKey: c.projectKey,
    transport: c.transport,
    state: c.state,
    messageCount: c.messageCount,
    bytes: c.bytes,
    lastEventId: c.lastEventId,
    reconnects: c.reconnects,
    errorCount: c.errorCount,
    openedAt: c.openedAt,
    closedAt: c.closedAt,
    method: c.method ?? 'GET',
    withCredentials: c.withCredentials,
    failedAttempts: c.attempts.map((a) => ({ ...a })),
  };
  if (c.httpStatus !== undefined) out.httpStatus = c.httpStatus;
  if (c.refusal) out.refusal = { ...c.refusal };
  return out;
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function buildSnapshot(state: State, now: number): Snapshot {
  const roles = computeRoles(state);
  const anomalies: SnapshotAnomaly[] = [];
  const projects: SnapshotProject[] = [];
  const projectKeys = new Set<string>([...roles.keys(), ...state.serverLimits.keys()]);

  for (const projectKey of [...projectKeys].sort()) {
    const r = roles.get(projectKey);
    const memory = state.projects.get(projectKey);
    const server = state.serverLimits.get(projectKey);
    const limit = server?.limit ?? null;
    const own: SnapshotAnomaly[] = [];
    const leaders = r?.leaderTabIds ?? [];
    const followers = r?.followerTabIds ?? [];
    const open = r?.openConnections ?? 0;

    if (leaders.length > 1) {
      own.push({
        kind: 'split-brain',
        projectKey,
        tabIds: leaders,
        since: now,
        message: `${leaders.length} tabs lead project "${projectKey}" at once (tabs ${leaders.join(', ')}). Each may hold its own server connection and relay duplicates. Elect the leader with a Web Lock (navigator.locks) rather than by message timing.`,
      });
    }
    if (memory?.noLeaderSince != null && now - memory.noLeaderSince >= ANOMALY.strandedGraceMs && followers.length > 0) {
      own.push({
        kind: 'stranded-followers',
        projectKey,
        tabIds: followers,
        since: memory.noLeaderSince,
        message: `${plural(followers.length, 'follower tab has', 'follower tabs have')} had no leader for ${Math.round((now - memory.noLeaderSince) / 1000)} s in project "${projectKey}": nobody receives server messages. Followers need a watchdog that takes over when the leader goes (queue on the leader lock, or a heartbeat timeout).`,
      });
    }
    if (limit !== null && open > limit) {
      own.push({
        kind: 'over-limit',
        projectKey,
        tabIds: [...new Set([...state.connections.values()].filter((c) => c.projectKey === projectKey && c.state === 'open').map((c) => c.tabId))],
        since: now,
        message: `This browser holds ${open} open connections for project "${projectKey}" but the server announced a limit of ${limit}. Further tabs will be refused with 429; share one connection through a leader tab.`,
      });
    }
    const storms = state.retryViolations.filter((v) => v.projectKey === projectKey && now - v.at <= ANOMALY.retryStormWindowMs);
    if (storms.length > 0) {
      const worst = Math.max(...storms.map((v) => v.earlyByMs));
      own.push({
        kind: 'retry-storm',
        projectKey,
        tabIds: [...new Set(storms.map((v) => v.tabId))],
        since: Math.min(...storms.map((v) => v.at)),
        message: `${plural(storms.length, 'reconnect', 'reconnects')} came sooner than the server's Retry-After allowed (up to ${Math.round(worst / 100) / 10} s early). Wait at least Retry-After before reconnecting, with jitter, and let only the leader retry.`,
      });
    }
    anomalies.push(...own);
    projects.push({
      projectKey,
      leaderTabIds: leaders,
      followerTabIds: followers,
      roles: r?.roles ?? [],
      openConnections: open,
      limit,
      serverCurrent: server?.current ?? null,
      serverAt: server?.at ?? null,
      anomalies: own,
      leaderHistory: (memory?.leaderHistory ?? []).map((s) => ({ ...s })),
    });
  }

  // Connections without a project key can still storm.
  const keyless = state.retryViolations.filter((v) => v.projectKey === null && now - v.at <= ANOMALY.retryStormWindowMs);
  if (keyless.length > 0) {
    anomalies.push({
      kind: 'retry-storm',
      projectKey: null,
      tabIds: [...new Set(keyless.map((v) => v.tabId))],
      since: Math.min(...keyless.map((v) => v.at)),
      message: `${plural(keyless.length, 'reconnect', 'reconnects')} came sooner than the server's Retry-After allowed. Wait at least Retry-After before reconnecting.`,
    });
  }

  const perOrigin = new Map<string, ConnectionRecord[]>();
  for (const c of state.connections.values()) {
    if (c.state === 'closed') continue;
    const origin = originOf(c.url);
    if (!origin) continue;
    const list = perOrigin.get(origin) ?? [];
    list.push(c);
    perOrigin.set(origin, list);
  }
  for (const [origin, list] of perOrigin) {
    if (list.length < ANOMALY.originConnectionLimit) continue;
    anomalies.push({
      kind: 'origin-connection-limit',
      projectKey: null,
      tabIds: [...new Set(list.map((c) => c.tabId))],
      since: Math.min(...list.map((c) => c.openedAt)),
      message: `${list.length} SSE connections to ${origin} are open in this browser. Over HTTP/1.1 the browser allows only ${ANOMALY.originConnectionLimit} connections per host: further requests to it (SSE or not) stall silently. Share one connection across tabs, or serve over HTTP/2.`,
    });
  }

  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    generatedAt: now,
    tabs: [...state.tabs.values()].map((t) => ({ ...t })),
    connections: [...state.connections.values()].map(toSnapshotConnection),
    channels: [...state.channels.values()].map((ch) => ({
      id: ch.id,
      tabId: ch.tabId,
      name: ch.name,
      projectKey: ch.projectKey,
      posted: ch.posted,
      received: ch.received,
      open: ch.open,
    })),
    locks: [...state.locks.values()].map((l) => ({
      id: l.id,
      tabId: l.tabId,
      name: l.name,
      projectKey: l.projectKey,
      mode: l.mode,
      state: l.state,
      requestedAt: l.requestedAt,
      grantedAt: l.grantedAt,
      releasedAt: l.releasedAt,
    })),
    rateLimits: state.rateLimits.map((r) => ({ ...r })),
    projects,
    anomalies,
    stats: { ...state.stats },
  };
}
