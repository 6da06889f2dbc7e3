/** Readable fixtures for the panel's pure modules: log entries and snapshots. */
import type { LogEntry, LogKind, Snapshot, SnapshotConnection, SnapshotProject } from '../../../src/shared/protocol';

export const T0 = 1_700_000_000_000;

let nextSeq = 1;
export function resetSeq(): void {
  nextSeq = 1;
}

export function entry(kind: LogKind, fields: Partial<LogEntry> = {}): LogEntry {
  return { seq: nextSeq++, t: T0 + nextSeq, tabId: 1, frameId: 0, kind, ref: null, name: '', ...fields };
}

export const message = (preview: string, fields: Partial<LogEntry> = {}) =>
  entry('es:message', { ref: '1.conn.1', name: 'http://app.test/sse?projectId=p1', type: 'message', preview, size: preview.length, ...fields });

export function connection(fields: Partial<SnapshotConnection> = {}): SnapshotConnection {
  return {
    id: '1.doc.1',
    tabId: 1,
    frameId: 0,
    url: 'http://app.test/sse?projectId=p1',
    projectKey: 'p1',
    transport: 'eventsource',
    state: 'open',
    messageCount: 3,
    bytes: 30,
    lastEventId: '3',
    reconnects: 0,
    errorCount: 0,
    openedAt: T0,
    closedAt: null,
    method: 'GET',
    withCredentials: false,
    failedAttempts: [],
    ...fields,
  };
}

export function project(fields: Partial<SnapshotProject> = {}): SnapshotProject {
  return {
    projectKey: 'p1',
    leaderTabIds: [1],
    followerTabIds: [2],
    roles: [
      { tabId: 1, role: 'leader', source: 'lock' },
      { tabId: 2, role: 'follower', source: 'lock' },
    ],
    openConnections: 1,
    limit: null,
    serverCurrent: null,
    serverAt: null,
    anomalies: [],
    leaderHistory: [{ tabId: 1, from: T0, to: null }],
    ...fields,
  };
}

export function snapshot(fields: Partial<Snapshot> = {}): Snapshot {
  return {
    schemaVersion: 1,
    generatedAt: T0 + 10_000,
    tabs: [
      { tabId: 1, url: 'http://app.test/', title: 'Chat 1' },
      { tabId: 2, url: 'http://app.test/', title: 'Chat 2' },
    ],
    connections: [connection()],
    channels: [
      { id: '1.doc.2', tabId: 1, name: 'chat:p1', projectKey: 'p1', posted: 5, received: 0, open: true },
      { id: '2.doc.1', tabId: 2, name: 'chat:p1', projectKey: 'p1', posted: 0, received: 5, open: true },
    ],
    locks: [
      { id: '1.doc.3', tabId: 1, name: 'chat:p1', projectKey: 'p1', mode: 'exclusive', state: 'held', requestedAt: T0, grantedAt: T0, releasedAt: null },
      { id: '2.doc.2', tabId: 2, name: 'chat:p1', projectKey: 'p1', mode: 'exclusive', state: 'queued', requestedAt: T0 + 5, grantedAt: null, releasedAt: null },
    ],
    rateLimits: [],
    projects: [project()],
    anomalies: [],
    stats: { droppedByPage: 0, invalid: 0, evicted: 0, accepted: 10 },
    ...fields,
  };
}
