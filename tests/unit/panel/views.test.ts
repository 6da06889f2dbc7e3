import { describe, expect, it } from 'vitest';
import {
  badgeOf,
  channelGroups,
  connectionDuration,
  countStates,
  leaderChanges,
  leaderTimeMs,
  limitUsage,
  projectTabRows,
  rolesOfTab,
  sortLocks,
} from '../../../src/panel/model/views';
import { anomalyHelp } from '../../../src/panel/model/anomaly-help';
import { buildSnapshot } from '../../../src/background/derive';
import { reduce, type Action } from '../../../src/background/reduce';
import { emptyState } from '../../../src/background/state';
import type { SnapshotAnomaly } from '../../../src/shared/protocol';
import { connection, project, snapshot, T0 } from './fixtures';

describe('what the views show', () => {
  it('counts connections by state', () => {
    expect(countStates([connection(), connection({ state: 'closed' }), connection({ state: 'connecting' }), connection()])).toEqual({
      open: 2,
      connecting: 1,
      closed: 1,
    });
  });

  it('gives the tab its role and where the role comes from, or none', () => {
    const s = snapshot();
    expect(badgeOf(rolesOfTab(s, 1))).toEqual({ role: 'leader', source: 'lock' });
    expect(badgeOf(rolesOfTab(s, 2))).toEqual({ role: 'follower', source: 'lock' });
    expect(badgeOf(rolesOfTab(s, 9))).toEqual({ role: 'none', source: null });
  });

  it('says "5 / 5 in use" from the server’s headers, else counts this browser', () => {
    const s = snapshot({
      projects: [project({ limit: 5, openConnections: 1 })],
      rateLimits: [
        { tabId: 2, url: 'u', projectKey: 'p1', status: 429, retryAfterMs: 10_000, limit: 5, current: 4, at: T0, connectionId: null, method: 'GET' },
        { tabId: 2, url: 'u', projectKey: 'p1', status: 429, retryAfterMs: 10_000, limit: 5, current: 5, at: T0 + 1, connectionId: null, method: 'GET' },
      ],
    });
    expect(limitUsage(s, s.projects[0]!)).toMatchObject({ text: '5 / 5 in use', from: 'server', full: true });
    const quiet = snapshot({ projects: [project({ limit: null, openConnections: 2 })] });
    expect(limitUsage(quiet, quiet.projects[0]!)).toMatchObject({ text: '2 in use, no limit announced', from: 'browser', full: false });
  });

  it('sums time as leader over the history, a running span to now', () => {
    const p = project({
      leaderHistory: [
        { tabId: 1, from: T0, to: T0 + 5000 },
        { tabId: 2, from: T0 + 5000, to: T0 + 7000 },
        { tabId: 1, from: T0 + 7000, to: null },
      ],
    });
    expect(leaderTimeMs(p, 1, T0 + 10_000)).toBe(8000);
    expect(leaderTimeMs(p, 2, T0 + 10_000)).toBe(2000);
    expect(leaderChanges(p).map((c) => c.from)).toEqual([T0 + 7000, T0 + 5000, T0]);
  });

  it('lists a project’s tabs with role, connections and channel traffic', () => {
    const s = snapshot();
    const rows = projectTabRows(s, s.projects[0]!, T0 + 3000);
    expect(rows).toEqual([
      { tabId: 1, title: 'Chat 1', url: 'http://app.test/', role: 'leader', source: 'lock', open: 1, connections: 1, posted: 5, received: 0, leaderMs: 3000 },
      { tabId: 2, title: 'Chat 2', url: 'http://app.test/', role: 'follower', source: 'lock', open: 0, connections: 0, posted: 0, received: 5, leaderMs: 0 },
    ]);
  });

  it('groups channel traffic by name with sending and receiving tabs', () => {
    const groups = channelGroups([
      ...snapshot().channels,
      { id: '3.d.1', tabId: 3, name: 'chat:p1', projectKey: 'p1', posted: 1, received: 2, open: false },
      { id: '3.d.2', tabId: 3, name: 'other', projectKey: null, posted: 0, received: 0, open: true },
    ]);
    expect(groups.map((g) => g.name)).toEqual(['chat:p1', 'other']);
    expect(groups[0]).toMatchObject({ open: 2, posted: 6, received: 7, senders: [{ tabId: 1, count: 5 }, { tabId: 3, count: 1 }], receivers: [{ tabId: 2, count: 5 }, { tabId: 3, count: 2 }] });
  });

  it('puts held locks first, then queued', () => {
    const locks = snapshot().locks;
    const released = { ...locks[0]!, id: 'r', state: 'released' as const, requestedAt: T0 + 100 };
    expect(sortLocks([released, locks[1]!, locks[0]!]).map((l) => l.state)).toEqual(['held', 'queued', 'released']);
  });

  it('measures a connection to now while it lives', () => {
    expect(connectionDuration(connection({ openedAt: T0 }), T0 + 500)).toBe(500);
    expect(connectionDuration(connection({ openedAt: T0, closedAt: T0 + 200, state: 'closed' }), T0 + 500)).toBe(200);
  });

  it('has a title and an action for every anomaly kind', () => {
    const kinds: SnapshotAnomaly['kind'][] = ['split-brain', 'stranded-followers', 'over-limit', 'retry-storm', 'origin-connection-limit'];
    for (const k of kinds) {
      const help = anomalyHelp(k);
      expect(help.title.length).toBeGreaterThan(5);
      expect(help.action.length).toBeGreaterThan(20);
    }
  });

  it('reads the snapshot the worker builds (leader by lock, follower queued, limit from a 429)', () => {
    const sse = 'http://app.test/sse?projectId=p1';
    const actions: Action[] = [
      { kind: 'doc:hello', tabId: 1, frameId: 0, docId: 'doc-1', url: 'http://app.test/', title: 'A', t: T0 },
      { kind: 'doc:hello', tabId: 2, frameId: 0, docId: 'doc-2', url: 'http://app.test/', title: 'B', t: T0 },
      {
        kind: 'doc:events', tabId: 1, frameId: 0, docId: 'doc-1', invalid: 0, dropped: 0, t: T0,
        events: [
          { kind: 'lock:request', t: T0, id: 1, name: 'chat:p1', mode: 'exclusive', ifAvailable: false, steal: false },
          { kind: 'lock:granted', t: T0 + 1, id: 1 },
          { kind: 'es:create', t: T0 + 2, id: 2, url: sse, withCredentials: false },
          { kind: 'es:open', t: T0 + 3, id: 2 },
        ],
      },
      {
        kind: 'doc:events', tabId: 2, frameId: 0, docId: 'doc-2', invalid: 0, dropped: 0, t: T0,
        events: [{ kind: 'lock:request', t: T0 + 4, id: 1, name: 'chat:p1', mode: 'exclusive', ifAvailable: false, steal: false }],
      },
      { kind: 'net:response', response: { tabId: 2, url: sse, method: 'GET', status: 429, retryAfterMs: 10_000, limit: 5, current: 5, at: T0 + 5, contentType: 'application/json' } },
      { kind: 'tick', t: T0 + 6 },
    ];
    let state = emptyState();
    for (const a of actions) state = reduce(state, a);
    const s = buildSnapshot(state, T0 + 1000);
    expect(badgeOf(rolesOfTab(s, 1))).toEqual({ role: 'leader', source: 'lock' });
    expect(badgeOf(rolesOfTab(s, 2))).toEqual({ role: 'follower', source: 'lock' });
    expect(limitUsage(s, s.projects[0]!).text).toBe('5 / 5 in use');
    expect(countStates(s.connections)).toEqual({ open: 1, connecting: 0, closed: 0 });
  });
});
