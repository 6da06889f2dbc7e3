import { describe, expect, it } from 'vitest';
import { reduce, entityId } from '../../../src/background/reduce';
import { buildSnapshot } from '../../../src/background/derive';
import { BOUNDS } from '../../../src/background/state';
import { T0, channel, openEs, run, sseUrl, tab } from './fixtures';

describe('connections', () => {
  it('follows an EventSource from create to open to messages to close', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(T0, ...openEs(1, sseUrl('p1'))),
      a.events(T0 + 10, { kind: 'es:message', t: T0 + 10, id: 1, type: 'message', preview: '{"n":1}', size: 7, lastEventId: '1' }),
      a.events(T0 + 20, { kind: 'es:message', t: T0 + 20, id: 1, type: 'tick', preview: '{"n":2}', size: 7, lastEventId: '2' }),
    ]);
    const c = s.connections.get(entityId(1, a.docId, 1))!;
    expect(c).toMatchObject({ state: 'open', messageCount: 2, bytes: 14, lastEventId: '2', projectKey: 'p1', transport: 'eventsource' });
    run([a.events(T0 + 30, { kind: 'es:close', t: T0 + 30, id: 1 })], s);
    expect(c.state).toBe('closed');
    expect(c.closedAt).toBe(T0 + 30);
  });

  it('counts a reconnect when an open connection goes back to connecting', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(T0, ...openEs(1, sseUrl('p1'))),
      a.events(T0 + 5, { kind: 'es:error', t: T0 + 5, id: 1, readyState: 0 }),
      a.events(T0 + 9, { kind: 'es:open', t: T0 + 9, id: 1 }),
    ]);
    const c = s.connections.get(entityId(1, a.docId, 1))!;
    expect(c.reconnects).toBe(1);
    expect(c.errorCount).toBe(1);
    expect(c.state).toBe('open');
  });

  it('ids of two documents in one tab never collide', () => {
    const a = tab(1, 'aaaaaaaa-1');
    const b = tab(1, 'bbbbbbbb-2');
    const s = run([a.hello, a.events(T0, ...openEs(1, sseUrl('p'))), b.hello, b.events(T0, ...openEs(1, sseUrl('p')))]);
    expect(s.connections.size).toBe(2);
  });

  it('a new top-level document closes what the old one held', () => {
    const a = tab(1, 'old-doc');
    const b = tab(1, 'new-doc');
    const s = run([a.hello, a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p')), b.hello]);
    expect([...s.connections.values()].every((c) => c.state === 'closed')).toBe(true);
    expect([...s.channels.values()].every((c) => !c.open)).toBe(true);
  });

  it('a closed tab closes its connections and forgets its roles', () => {
    const a = tab(3);
    const s = run([
      a.hello,
      a.events(T0, ...openEs(1, sseUrl('p')), { kind: 'hook:role', t: T0, projectKey: 'p', role: 'leader' }),
      { kind: 'tab:removed', tabId: 3, t: T0 + 100 },
    ]);
    expect(s.tabs.has(3)).toBe(false);
    expect(s.declared.size).toBe(0);
    expect([...s.connections.values()][0]!.state).toBe('closed');
  });
});

describe('what the server said', () => {
  const refusal = (tabId: number, url: string, at: number, method = 'GET') => ({
    kind: 'net:response' as const,
    response: { tabId, url, method, status: 429, retryAfterMs: 10_000, limit: 5, current: 5, at, contentType: 'application/json' },
  });

  it('marks the connection refused with the server headers, whichever arrives first', () => {
    const a = tab(1);
    const url = sseUrl('p1');
    // Response first, page event later.
    const s1 = run([a.hello, refusal(1, url, T0), a.events(T0 + 3, { kind: 'es:create', t: T0 + 2, id: 1, url, withCredentials: false })]);
    const c1 = [...s1.connections.values()][0]!;
    expect(c1.httpStatus).toBe(429);
    expect(c1.refusal).toMatchObject({ status: 429, retryAfterMs: 10_000, limit: 5, current: 5 });
    expect(s1.rateLimits[0]).toMatchObject({ tabId: 1, projectKey: 'p1', status: 429, retryAfterMs: 10_000, limit: 5, current: 5, connectionId: c1.id });
    // Page event first, response later.
    const s2 = run([a.hello, a.events(T0, { kind: 'es:create', t: T0, id: 1, url, withCredentials: false }), refusal(1, url, T0 + 5)]);
    expect([...s2.connections.values()][0]!.refusal?.status).toBe(429);
    expect(s2.rateLimits[0]!.connectionId).toBe([...s2.connections.values()][0]!.id);
  });

  it('records a HEAD probe as a rate-limit entry without calling it an attempt of the stream', () => {
    const a = tab(1);
    const url = sseUrl('p1');
    const s = run([a.hello, a.events(T0, ...openEs(1, url)), refusal(1, url, T0 + 50, 'HEAD')]);
    const c = [...s.connections.values()][0]!;
    expect(c.httpStatus).toBeUndefined();
    expect(c.attempts).toHaveLength(1);
    expect(s.rateLimits[0]!.method).toBe('HEAD');
  });

  it('flags a retry storm: a reconnect sooner than Retry-After', () => {
    const a = tab(1);
    const url = sseUrl('p1');
    const s = run([
      a.hello,
      a.events(T0, { kind: 'es:create', t: T0, id: 1, url, withCredentials: false }),
      refusal(1, url, T0 + 5),
      a.events(T0 + 2000, { kind: 'es:create', t: T0 + 2000, id: 2, url, withCredentials: false }),
    ]);
    expect(s.retryViolations).toHaveLength(1);
    expect(s.retryViolations[0]!.earlyByMs).toBe(8005);
    const snap = buildSnapshot(s, T0 + 2100);
    expect(snap.anomalies.map((x) => x.kind)).toContain('retry-storm');
  });

  it('a retry after Retry-After is not a storm', () => {
    const a = tab(1);
    const url = sseUrl('p1');
    const s = run([
      a.hello,
      a.events(T0, { kind: 'es:create', t: T0, id: 1, url, withCredentials: false }),
      refusal(1, url, T0 + 5),
      a.events(T0 + 10_010, { kind: 'es:create', t: T0 + 10_010, id: 2, url, withCredentials: false }),
    ]);
    expect(s.retryViolations).toHaveLength(0);
  });
});

describe('channels, locks and the log', () => {
  it('counts channel posts and receipts and lock states', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(
        T0,
        channel(1, 'chat-p'),
        { kind: 'bc:post', t: T0, id: 1, size: 10, preview: '{"a":1}' },
        { kind: 'bc:receive', t: T0, id: 1, size: 10, preview: '{"a":1}' },
        { kind: 'bc:receive', t: T0, id: 1, size: 10, preview: '{"a":1}' },
        { kind: 'lock:request', t: T0, id: 2, name: 'sse-p', mode: 'exclusive', ifAvailable: false, steal: false },
        { kind: 'lock:granted', t: T0 + 1, id: 2 },
      ),
    ]);
    const ch = [...s.channels.values()][0]!;
    expect(ch).toMatchObject({ name: 'chat-p', projectKey: 'p', posted: 1, received: 2 });
    expect([...s.locks.values()][0]).toMatchObject({ name: 'sse-p', projectKey: 'p', state: 'held' });
    expect(s.log.map((e) => e.kind)).toEqual(['bc:create', 'bc:post', 'bc:receive', 'bc:receive', 'lock:request', 'lock:granted']);
    expect(s.stats.accepted).toBe(6);
  });

  it('bounds the log and counts what it evicts', () => {
    const a = tab(1);
    let s = run([a.hello, a.events(T0, channel(1, 'x'))]);
    const burst = Array.from({ length: 500 }, () => ({ kind: 'bc:post' as const, t: T0, id: 1, size: 1, preview: 'x' }));
    const rounds = Math.ceil((BOUNDS.logEntries + 10_000) / burst.length);
    for (let i = 0; i < rounds; i++) s = reduce(s, a.events(T0, ...burst));
    expect(s.log.length).toBeLessThanOrEqual(BOUNDS.logEntries);
    expect(s.stats.evicted + s.log.length).toBe(rounds * burst.length + 1);
    expect([...s.channels.values()][0]!.posted).toBe(rounds * burst.length);
  });

  it('counts invalid and page-dropped events', () => {
    const a = tab(1);
    const s = run([a.hello, { ...a.events(T0), invalid: 3, dropped: 7 }]);
    expect(s.stats).toMatchObject({ invalid: 3, droppedByPage: 7 });
  });

  it('keeps a project key of __proto__ as data', () => {
    const a = tab(1);
    const s = run([a.hello, a.events(T0, ...openEs(1, sseUrl('__proto__')), channel(2, 'chat-__proto__')), { kind: 'tick', t: T0 + 1 }]);
    const snap = buildSnapshot(s, T0 + 2);
    expect(snap.projects.map((p) => p.projectKey)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).leaderHistory).toBeUndefined();
  });
});

describe('relay batches sent again after a reconnect', () => {
  it('a batch number already applied is ignored; a new one is applied', () => {
    const a = tab(1);
    const msg = (n: number) => ({ kind: 'es:message' as const, t: T0 + n, id: 1, type: 'message', preview: String(n), size: 1, lastEventId: String(n) });
    const s = run([
      a.hello,
      { ...a.events(T0, ...openEs(1, sseUrl('p'))), seq: 0 },
      { ...a.events(T0, msg(1)), seq: 1 },
      { ...a.events(T0, msg(2)), seq: 2 },
      // The worker restarted from a state that had batch 1; the relay resends 1 and 2.
      { ...a.events(T0, msg(2)), seq: 2 },
      { ...a.events(T0, msg(1)), seq: 1 },
      { ...a.events(T0, msg(3)), seq: 3 },
    ]);
    const c = [...s.connections.values()][0]!;
    expect(c.messageCount).toBe(3);
    expect(c.lastEventId).toBe('3');
  });
});

describe('orphans', () => {
  it('an event about something the document never created is counted invalid, not logged', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(
        T0,
        { kind: 'bc:post', t: T0, id: 9, size: 1, preview: 'x' },
        { kind: 'es:message', t: T0, id: 9, type: 'message', preview: 'x', size: 1, lastEventId: '' },
        { kind: 'lock:granted', t: T0, id: 9 },
      ),
    ]);
    expect(s.stats).toMatchObject({ invalid: 3, accepted: 0 });
    expect(s.log).toEqual([]);
  });
});

describe('back/forward cache', () => {
  it('a document that comes back gets back what it held; one that does not stays closed', () => {
    const a = tab(1, 'doc-a');
    const b = tab(1, 'doc-b');
    const s = run([
      a.hello,
      a.events(
        T0,
        ...openEs(1, sseUrl('p')),
        channel(2, 'chat-p'),
        { kind: 'lock:request', t: T0, id: 3, name: 'sse-p', mode: 'exclusive', ifAvailable: false, steal: false },
        { kind: 'lock:granted', t: T0, id: 3 },
        { kind: 'hook:role', t: T0, projectKey: 'p', role: 'leader' },
      ),
      // Navigation: doc-b replaces doc-a, which goes into the cache.
      b.hello,
      { kind: 'doc:gone', docId: 'doc-a', t: T0 + 10 },
    ]);
    expect([...s.connections.values()][0]!.state).toBe('closed');
    expect(buildSnapshot(s, T0 + 10).projects.find((p) => p.projectKey === 'p')?.leaderTabIds ?? []).toEqual([]);
    // Back: doc-a is restored and says hello again; doc-b goes away.
    run([a.hello, { kind: 'doc:gone', docId: 'doc-b', t: T0 + 20 }], s);
    expect([...s.connections.values()][0]).toMatchObject({ state: 'open', closedAt: null });
    expect([...s.channels.values()][0]!.open).toBe(true);
    expect([...s.locks.values()][0]!.state).toBe('held');
    expect(buildSnapshot(s, T0 + 20).projects.find((p) => p.projectKey === 'p')!.roles).toEqual([{ tabId: 1, role: 'leader', source: 'declared' }]);
    expect(s.log.map((e) => e.kind)).toContain('doc:restored');
  });
});

describe('reconnects of a connection that never opens', () => {
  it('take the page script count from es:error', () => {
    const a = tab(1);
    const url = sseUrl('p');
    const s = run([
      a.hello,
      a.events(
        T0,
        { kind: 'es:create', t: T0, id: 1, url, withCredentials: false },
        { kind: 'es:error', t: T0 + 1, id: 1, readyState: 0, reconnects: 1 },
        { kind: 'es:error', t: T0 + 2, id: 1, readyState: 0, reconnects: 2 },
        { kind: 'es:error', t: T0 + 3, id: 1, readyState: 0, reconnects: 3 },
      ),
    ]);
    expect([...s.connections.values()][0]).toMatchObject({ state: 'connecting', reconnects: 3, errorCount: 3 });
  });
});

describe('events of one batch', () => {
  it('an event before its create is an orphan, the same event after it counts; a channel created again takes what follows', () => {
    const a = tab(1);
    const post = (preview: string) => ({ kind: 'bc:post' as const, t: T0, id: 1, size: 1, preview });
    const s = run([
      a.hello,
      a.events(T0, post('lost'), channel(1, 'chat-p'), post('a'), post('b'), channel(1, 'chat-q'), post('c'), { kind: 'es:open', t: T0, id: 1 }),
    ]);
    expect(s.stats).toMatchObject({ accepted: 5, invalid: 2 });
    const ch = s.channels.get(entityId(1, a.docId, 1))!;
    expect(ch).toMatchObject({ name: 'chat-q', posted: 1 });
    expect(s.log.map((e) => [e.kind, e.name, e.preview])).toEqual([
      ['bc:create', 'chat-p', undefined],
      ['bc:post', 'chat-p', 'a'],
      ['bc:post', 'chat-p', 'b'],
      ['bc:create', 'chat-q', undefined],
      ['bc:post', 'chat-q', 'c'],
    ]);
  });

  it('ids of a connection and a lock with the same page id are told apart', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(
        T0,
        { kind: 'lock:request', t: T0, id: 2, name: 'chat-p', mode: 'exclusive', ifAvailable: false, steal: false },
        { kind: 'lock:granted', t: T0, id: 2 },
        { kind: 'es:open', t: T0, id: 2 },
        { kind: 'bc:close', t: T0, id: 2 },
        { kind: 'lock:released', t: T0, id: 2 },
      ),
    ]);
    expect(s.stats).toMatchObject({ accepted: 3, invalid: 2 });
    expect(s.locks.get(entityId(1, a.docId, 2))!.state).toBe('released');
  });
});

describe('message summaries (message log rate)', () => {
  it('add their count and bytes to the connection and log one entry that says so', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(T0, ...openEs(1, sseUrl('p1'))),
      a.events(T0 + 10, { kind: 'es:message', t: T0 + 10, id: 1, type: 'message', preview: 'x', size: 1, lastEventId: '1' }),
      a.events(T0 + 600, { kind: 'es:message-summary', t: T0 + 530, id: 1, count: 1234, since: T0 + 11, bytes: 246_800, lastEventId: '1235' }),
    ]);
    const c = s.connections.get(entityId(1, a.docId, 1))!;
    expect(c).toMatchObject({ messageCount: 1235, bytes: 246_801, lastEventId: '1235' });
    const entry = s.log[s.log.length - 1]!;
    expect(entry).toMatchObject({ kind: 'es:message-summary', t: T0 + 530, since: T0 + 11, count: 1234, size: 246_800, lastEventId: '1235', ref: c.id });
    expect(entry.info).toBe('1,234 messages over 0.52 s, not logged one by one (message log rate)');
    expect(buildSnapshot(s, T0 + 600).connections[0]).toMatchObject({ messageCount: 1235, bytes: 246_801 });
  });

  it('add posts and receipts to the channel', () => {
    const a = tab(1);
    const s = run([
      a.hello,
      a.events(T0, channel(2, 'chat-p')),
      a.events(T0 + 5, { kind: 'bc:post', t: T0 + 5, id: 2, size: 1, preview: '1' }),
      a.events(T0 + 50, { kind: 'bc:post-summary', t: T0 + 40, id: 2, count: 99, since: T0 + 6 }),
      a.events(T0 + 60, { kind: 'bc:receive-summary', t: T0 + 60, id: 2, count: 1, since: T0 + 60 }),
    ]);
    const ch = [...s.channels.values()][0]!;
    expect(ch).toMatchObject({ posted: 100, received: 1 });
    expect(s.log.slice(-2).map((e) => e.info)).toEqual([
      '99 posts over 0.03 s, not logged one by one (message log rate)',
      '1 receipt over 0.00 s, not logged one by one (message log rate)',
    ]);
  });

  it('of an unknown connection are orphans, as any event would be', () => {
    const a = tab(1);
    const s = run([a.hello, a.events(T0, { kind: 'es:message-summary', t: T0, id: 9, count: 5, since: T0, bytes: 5, lastEventId: '' })]);
    expect(s.connections.size).toBe(0);
    expect(s.log.some((e) => e.kind === 'es:message-summary')).toBe(false);
  });
});

describe('summaryInfo', () => {
  it('groups thousands without a locale formatter', async () => {
    const { summaryInfo } = await import('../../../src/background/reduce');
    expect(summaryInfo(1_234_567, 'message', 0, 12_500)).toBe('1,234,567 messages over 12.5 s, not logged one by one (message log rate)');
    expect(summaryInfo(999, 'post', 0, 0)).toBe('999 posts over 0.00 s, not logged one by one (message log rate)');
    expect(summaryInfo(1000, 'post', 10, 5)).toBe('1,000 posts over 0.00 s, not logged one by one (message log rate)');
  });
});
