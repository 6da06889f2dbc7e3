import { describe, expect, it } from 'vitest';
import {
  checkRetryRespected,
  connectionsVerdict,
  leaderOf,
  leaderVerdict,
  retryVerdict,
  singleLeaderVerdict,
} from '../../../src/playwright/checks';
import type { Snapshot } from '../../../src/shared/protocol';
import { tab } from '../background/fixtures';
import { T0, naivePage, referenceClient, refusal, refusedThenRetried, snapshotOf, sseUrl } from './scenarios';

describe('leader and connections verdicts', () => {
  it('the reference client: one leader, two followers, one connection', () => {
    const s = snapshotOf(referenceClient('p', 3));
    expect(leaderVerdict(s, 'p').ok).toBe(true);
    expect(singleLeaderVerdict(s, 'p', { followers: 2 })).toMatchObject({ ok: true, summary: 'tab 1 leads, tab 2, 3 follow' });
    expect(connectionsVerdict(s, 'p', 1)).toMatchObject({ ok: true, summary: '1 open connection (tab 1: 1)' });
    expect(leaderOf(s, 'p')).toEqual({ tabId: 1, url: 'http://app.test/chat.html?projectId=p', title: 'Chat', source: 'lock' });
  });

  it('a wrong follower count fails and says how many there are', () => {
    const s = snapshotOf(referenceClient('p', 3));
    const v = singleLeaderVerdict(s, 'p', { followers: 3 });
    expect(v.ok).toBe(false);
    expect(v.summary).toBe('tab 1 leads, with 2 followers (tab 2, 3), expected 3');
  });

  it('the naive page: no leader, each tab holds its own connection, with a hint', () => {
    const s = snapshotOf(naivePage('p', 3));
    const v = singleLeaderVerdict(s, 'p');
    expect(v.ok).toBe(false);
    expect(v.summary).toBe('no tab leads: 3 tabs hold their own connection without sharing it (tab 1, 2, 3)');
    expect(v.hint).toMatch(/Web Lock/);
    expect(leaderOf(s, 'p')).toBeNull();
    const c = connectionsVerdict(s, 'p', 1);
    expect(c).toMatchObject({ ok: false, summary: 'expected 1 open connection, found 3 (tab 1: 1, tab 2: 1, tab 3: 1)' });
    expect(c.hint).toMatch(/BroadcastChannel/);
    expect(connectionsVerdict(s, 'p', 3).ok).toBe(true);
  });

  it('the naive page over the server limit: the refused tabs are named too', () => {
    const extra = tab(4, 'doc-4', 'http://app.test/naive.html?projectId=p&n=1');
    const s = snapshotOf([
      ...naivePage('p', 3),
      extra.hello,
      extra.events(T0 + 5, { kind: 'es:create', t: T0 + 5, id: 1, url: sseUrl('p'), withCredentials: false }),
      refusal(4, 'p', T0 + 10, 1000),
      extra.events(T0 + 11, { kind: 'es:error', t: T0 + 11, id: 1, readyState: 2 }),
    ]);
    expect(leaderVerdict(s, 'p').summary).toBe(
      'no tab leads: 3 tabs hold their own connection without sharing it (tab 1, 2, 3), and 1 more tab was refused trying to open its own (tab 4)',
    );
  });

  it('connections still connecting are named, since they will count once they open', () => {
    const extra = tab(4, 'doc-4', 'http://app.test/naive.html?projectId=p&n=1');
    const s = snapshotOf([
      ...naivePage('p', 2),
      extra.hello,
      extra.events(T0 + 5, { kind: 'es:create', t: T0 + 5, id: 1, url: sseUrl('p'), withCredentials: false }),
    ]);
    expect(connectionsVerdict(s, 'p', 1).summary).toBe('expected 1 open connection, found 2 (tab 1: 1, tab 2: 1), and 1 more connecting (tab 4: 1)');
    expect(connectionsVerdict(s, 'p', 3).summary).toBe('expected 3 open connections, found 2 (tab 1: 1, tab 2: 1), and 1 more connecting (tab 4: 1)');
  });

  it('a leader plus a tab with its own connection is not a single leader', () => {
    const extra = tab(9, 'doc-9', 'http://app.test/other.html?projectId=p');
    const s = snapshotOf([
      ...referenceClient('p', 2),
      extra.hello,
      extra.events(T0 + 5, { kind: 'es:create', t: T0 + 5, id: 1, url: sseUrl('p'), withCredentials: false }, { kind: 'es:open', t: T0 + 6, id: 1 }),
    ]);
    const v = singleLeaderVerdict(s, 'p');
    expect(v).toMatchObject({ ok: false, summary: 'tab 1 leads, but other tabs hold open connections too (tab 9: 1)' });
  });

  it('two leaders (split brain) fail', () => {
    const a = tab(1);
    const b = tab(2);
    const both = (t: ReturnType<typeof tab>) =>
      t.events(T0, { kind: 'hook:role', t: T0, projectKey: 'p', role: 'leader' }, { kind: 'es:create', t: T0, id: 1, url: sseUrl('p'), withCredentials: false }, { kind: 'es:open', t: T0, id: 1 });
    const s = snapshotOf([a.hello, b.hello, both(a), both(b)]);
    expect(leaderVerdict(s, 'p')).toMatchObject({ ok: false, summary: '2 tabs lead at once (tabs 1, 2)' });
    expect(singleLeaderVerdict(s, 'p').ok).toBe(false);
  });

  it('an unknown project says so', () => {
    const s = snapshotOf(referenceClient('p', 1));
    expect(leaderVerdict(s, 'q')).toMatchObject({ ok: false, summary: 'no tab has opened a connection, channel or lock of project "q" yet' });
    expect(connectionsVerdict(s, 'q', 1).summary).toBe(
      'expected 1 open connection, found none: no tab has opened a connection, channel or lock of project "q" yet',
    );
    expect(connectionsVerdict(s, 'q', 0).ok).toBe(true);
  });
});

describe('checkRetryRespected', () => {
  it('a retry after Retry-After is fine; the HEAD probe in between is not an attempt', () => {
    const s = snapshotOf(refusedThenRetried('p', 2000, T0 + 2200), T0 + 3000);
    const r = checkRetryRespected(s, 'p');
    expect(r.refusals).toHaveLength(1);
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({ tabId: 1, waitedMs: 2100, earlyByMs: -100, next: { kind: 'new-connection', at: T0 + 2200 } });
    expect(r.violations).toEqual([]);
    expect(r.storms).toEqual([]);
    expect(r.ok).toBe(true);
    expect(retryVerdict(r, 'p')).toMatchObject({ ok: true, summary: '1 refusal with Retry-After, 1 retry, none too early' });
  });

  it('a new connection sooner than Retry-After is a violation, described with times', () => {
    const s = snapshotOf(refusedThenRetried('p', 2000, T0 + 600), T0 + 1000);
    const r = checkRetryRespected(s, 'p');
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ tabId: 1, waitedMs: 500, earlyByMs: 1500 });
    expect(r.ok).toBe(false);
    const v = retryVerdict(r, 'p');
    expect(v.ok).toBe(false);
    expect(v.final).toBe(true);
    expect(v.summary).toContain('tab 1: 429 at 22:13:20.100 said Retry-After 2 s, but a new connection (1.doc-1.2) came 0.5 s later: 1.5 s too early');
    expect(v.summary).toContain('the extension reports a retry storm (tabs 1)');
  });

  it('finds an early retry by itself, without the extension\'s anomaly: a second refused GET of an unseen request', () => {
    const t = tab(1);
    const s = snapshotOf([t.hello, refusal(1, 'p', T0 + 100, 5000), refusal(1, 'p', T0 + 400, 5000)], T0 + 1000);
    const r = checkRetryRespected(s, 'p');
    expect(r.storms).toEqual([]);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ waitedMs: 300, earlyByMs: 4700, next: { kind: 'response', connectionId: null } });
    expect(r.pairs[1]?.next).toBeNull();
  });

  it('refused requests after the tab\'s stream closed are retries (a fetch client that retries at once)', () => {
    const t = tab(1);
    const s = snapshotOf(
      [
        t.hello,
        t.events(T0 + 10, { kind: 'fetch:open', t: T0 + 10, id: 1, url: sseUrl('p'), method: 'GET', status: 200, headers: {} }),
        t.events(T0 + 50, { kind: 'fetch:end', t: T0 + 50, id: 1, reason: 'error' }),
        refusal(1, 'p', T0 + 100, 5000),
        refusal(1, 'p', T0 + 1100, 5000),
      ],
      T0 + 2000,
    );
    const r = checkRetryRespected(s, 'p');
    // both refusals are matched to the closed stream by the extension
    expect(r.refusals.map((x) => x.connectionId)).toEqual(['1.doc-1.1', '1.doc-1.1']);
    expect(r.storms).toEqual([]);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ waitedMs: 1000, earlyByMs: 4000, next: { kind: 'response' } });
  });

  it('parallel requests of one tab (created before the refusal) are not retries', () => {
    const t = tab(1, 'doc-1', 'http://app.test/naive.html?projectId=p&n=2');
    const create = (id: number) => ({ kind: 'es:create' as const, t: T0 + 10, id, url: sseUrl('p'), withCredentials: false });
    const s = snapshotOf(
      [
        t.hello,
        t.events(T0 + 10, create(1), create(2)),
        refusal(1, 'p', T0 + 100, 5000),
        t.events(T0 + 101, { kind: 'es:error', t: T0 + 101, id: 2, readyState: 2 }),
        refusal(1, 'p', T0 + 120, 5000),
        t.events(T0 + 121, { kind: 'es:error', t: T0 + 121, id: 1, readyState: 2 }),
      ],
      T0 + 1000,
    );
    const r = checkRetryRespected(s, 'p');
    expect(r.refusals).toHaveLength(2);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a refusal without Retry-After, a HEAD refusal or another tab\'s refusal is not checked against', () => {
    const a = tab(1);
    const b = tab(2);
    const s = snapshotOf(
      [
        a.hello,
        b.hello,
        refusal(1, 'p', T0 + 100, null),
        refusal(1, 'p', T0 + 150, 5000, 'HEAD'),
        refusal(2, 'p', T0 + 200, 5000),
        a.events(T0 + 300, { kind: 'es:create', t: T0 + 300, id: 1, url: sseUrl('p'), withCredentials: false }),
      ],
      T0 + 1000,
    );
    const r = checkRetryRespected(s, 'p');
    expect(r.refusals.map((x) => x.tabId)).toEqual([2]);
    expect(r.pairs[0]?.next).toBeNull();
    expect(r.ok).toBe(true);
  });

  it('the tolerance absorbs a few ms', () => {
    const s = snapshotOf(refusedThenRetried('p', 2000, T0 + 2080), T0 + 3000);
    // allowed at T0+2100; 20 ms early
    expect(checkRetryRespected(s, 'p').violations).toHaveLength(0);
    expect(checkRetryRespected(s, 'p', { toleranceMs: 0 }).violations).toHaveLength(1);
  });
});

describe('retryVerdict', () => {
  const empty: Snapshot = snapshotOf(referenceClient('p', 1));

  it('without any refusal: fails by default (nothing was checked), passes when allowed', () => {
    const r = checkRetryRespected(empty, 'p');
    const v = retryVerdict(r, 'p');
    expect(v).toMatchObject({ ok: false, final: false });
    expect(v.summary).toMatch(/no request of project "p" has been refused with a Retry-After yet/);
    expect(retryVerdict(r, 'p', { requireRefusal: false }).ok).toBe(true);
  });

  it('inside the Retry-After wait nothing can be concluded yet; after it, no retry is fine unless a retry is required', () => {
    const actions = [tab(1).hello, refusal(1, 'p', T0 + 100, 2000)];
    const inside = retryVerdict(checkRetryRespected(snapshotOf(actions, T0 + 500), 'p'), 'p');
    expect(inside).toMatchObject({ ok: false, final: false });
    expect(inside.summary).toBe(
      'cannot judge yet: a tab is still inside its Retry-After wait (give a timeout longer than Retry-After):\n' +
        '  - tab 1: 429 at 22:13:20.100 said Retry-After 2 s; no new attempt in the 0.4 s since; the wait ends in 1.6 s',
    );
    const after = checkRetryRespected(snapshotOf(actions, T0 + 2200), 'p');
    expect(retryVerdict(after, 'p').ok).toBe(true);
    const v = retryVerdict(after, 'p', { requireRetry: true });
    expect(v.ok).toBe(false);
    expect(v.summary).toBe('a refused tab has not tried again:\n  - tab 1: 429 at 22:13:20.100 said Retry-After 2 s; no new attempt in the 2.1 s since');
  });
});
