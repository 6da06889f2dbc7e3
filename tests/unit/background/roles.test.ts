import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../src/background/derive';
import { T0, channel, openEs, run, sseUrl, tab } from './fixtures';

const project = (snap: ReturnType<typeof buildSnapshot>, key = 'p') => snap.projects.find((p) => p.projectKey === key)!;

describe('roles', () => {
  it('connection + channel leads, channel alone follows (inferred)', () => {
    const [a, b] = [tab(1), tab(2)];
    const s = run([a.hello, b.hello, a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p')), b.events(T0, channel(1, 'chat-p'))]);
    const p = project(buildSnapshot(s, T0));
    expect(p.leaderTabIds).toEqual([1]);
    expect(p.followerTabIds).toEqual([2]);
    expect(p.roles).toEqual([
      { tabId: 1, role: 'leader', source: 'inferred' },
      { tabId: 2, role: 'follower', source: 'inferred' },
    ]);
  });

  it('a connection without a channel is standalone', () => {
    const a = tab(1);
    const s = run([a.hello, a.events(T0, ...openEs(1, sseUrl('p')))]);
    expect(project(buildSnapshot(s, T0)).roles).toEqual([{ tabId: 1, role: 'standalone', source: 'inferred' }]);
  });

  it('the holder of the project lock leads, waiters follow (lock)', () => {
    const [a, b] = [tab(1), tab(2)];
    const s = run([
      a.hello,
      b.hello,
      a.events(T0, { kind: 'lock:request', t: T0, id: 1, name: 'sse-p', mode: 'exclusive', ifAvailable: false, steal: false }, { kind: 'lock:granted', t: T0, id: 1 }),
      b.events(T0, { kind: 'lock:request', t: T0, id: 1, name: 'sse-p', mode: 'exclusive', ifAvailable: false, steal: false }, ...openEs(2, sseUrl('p')), channel(3, 'chat-p')),
    ]);
    const p = project(buildSnapshot(s, T0));
    expect(p.roles).toEqual([
      { tabId: 1, role: 'leader', source: 'lock' },
      { tabId: 2, role: 'follower', source: 'lock' },
    ]);
  });

  it('a declared role wins over everything', () => {
    const a = tab(1);
    const s = run([a.hello, a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p'), { kind: 'hook:role', t: T0, projectKey: 'p', role: 'follower' })]);
    expect(project(buildSnapshot(s, T0)).roles).toEqual([{ tabId: 1, role: 'follower', source: 'declared' }]);
  });
});

describe('anomalies', () => {
  it('split brain: two leaders', () => {
    const [a, b] = [tab(1), tab(2)];
    const s = run([a.hello, b.hello, a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p')), b.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p'))]);
    const anomaly = project(buildSnapshot(s, T0)).anomalies.find((x) => x.kind === 'split-brain');
    expect(anomaly?.tabIds).toEqual([1, 2]);
    expect(anomaly?.message).toMatch(/2 tabs lead project "p"/);
  });

  it('stranded followers: no leader for longer than the grace period', () => {
    const [a] = [tab(1)];
    const s = run([a.hello, a.events(T0, channel(1, 'chat-p')), { kind: 'tick', t: T0 }, { kind: 'tick', t: T0 + 1000 }]);
    expect(project(buildSnapshot(s, T0 + 1000)).anomalies).toEqual([]);
    run([{ kind: 'tick', t: T0 + 4000 }], s);
    const anomaly = project(buildSnapshot(s, T0 + 4000)).anomalies[0];
    expect(anomaly?.kind).toBe('stranded-followers');
    expect(anomaly?.since).toBe(T0);
  });

  it('over limit: more open connections than the server announced', () => {
    const a = tab(1);
    const url = sseUrl('p');
    const s = run([
      a.hello,
      a.events(T0, ...openEs(1, url), ...openEs(2, url), ...openEs(3, url)),
      { kind: 'net:response', response: { tabId: 1, url, method: 'GET', status: 200, retryAfterMs: null, limit: 2, current: 2, at: T0 + 5, contentType: 'text/event-stream' } },
    ]);
    const p = project(buildSnapshot(s, T0 + 10));
    expect(p.limit).toBe(2);
    expect(p.anomalies.map((x) => x.kind)).toEqual(['over-limit']);
  });

  it('six or more SSE connections to one origin', () => {
    const a = tab(1);
    const s = run([a.hello, a.events(T0, ...[1, 2, 3, 4, 5, 6].flatMap((i) => openEs(i, `http://app.test/s${i}`)))]);
    const snap = buildSnapshot(s, T0);
    expect(snap.anomalies.find((x) => x.kind === 'origin-connection-limit')?.message).toMatch(/6 SSE connections to http:\/\/app\.test/);
  });

  it('records leader history over time', () => {
    const [a, b] = [tab(1), tab(2)];
    const s = run([a.hello, b.hello, a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p')), b.events(T0, channel(1, 'chat-p')), { kind: 'tick', t: T0 }]);
    run([a.events(T0 + 500, { kind: 'es:close', t: T0 + 500, id: 1 }), b.events(T0 + 600, ...openEs(2, sseUrl('p'), T0 + 600)), { kind: 'tick', t: T0 + 1000 }], s);
    expect(project(buildSnapshot(s, T0 + 1000)).leaderHistory).toEqual([
      { tabId: 1, from: T0, to: T0 + 1000 },
      { tabId: 2, from: T0 + 1000, to: null },
    ]);
  });
});
