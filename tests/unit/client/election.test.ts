/**
 * Pitfalls 1, 4 and 6 (peers.md): duplicate leaders, timed-out follower requests, unreliable
 * unload messages. The tabs share a fake Web Locks manager and BroadcastChannel hub.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from './fakes/event-source.js';
import { World } from './fakes/tabs.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('leader election with Web Locks', () => {
  it('pitfall 1: six tabs opening at the same moment elect exactly one leader, one stream', async () => {
    const w = new World();
    const tabs = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => w.open(id));
    const ready = tabs.map((t) => t.conn.connect());
    await vi.advanceTimersByTimeAsync(0);
    w.openLeaderStream();
    await Promise.all(ready);
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.leaders()).toHaveLength(1);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(tabs.filter((t) => t.conn.getConnectionInfo().mode === 'follower')).toHaveLength(5);
    const leaderId = w.leaders()[0]!.id;
    for (const t of tabs) if (t.id !== leaderId) expect(t.conn.getConnectionInfo().leaderId).toBe(leaderId);
  });

  it('pitfall 4: a follower waits in the lock queue for as long as it takes, then leads', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const ra = a.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    w.openLeaderStream();
    await ra;
    await b.conn.connect();
    // an hour: no timeout may drop b's queued request (the leader is alive and heartbeating)
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);
    expect(w.locks.queued('sse-p1')).toEqual(['b']);
    expect(b.conn.getConnectionInfo().mode).toBe('follower');
    a.conn.disconnect();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.locks.holder('sse-p1')).toBe('b');
    expect(b.conn.getConnectionInfo().mode).toBe('leader');
  });

  it('pitfall 6: a tab that dies without a word is replaced through the lock, by exactly one tab', async () => {
    const w = new World();
    const tabs = ['a', 'b', 'c', 'd'].map((id) => w.open(id));
    const ready = tabs.map((t) => t.conn.connect());
    await vi.advanceTimersByTimeAsync(0);
    w.openLeaderStream();
    await Promise.all(ready);
    const [leader] = w.leaders();
    w.crash(leader!); // no pagehide, no "I am leaving"
    // (no message yet anywhere: the new leader waits resumeWaitMs for the others' resume points)
    await vi.advanceTimersByTimeAsync(300);
    const rest = tabs.filter((t) => t !== leader);
    expect(rest.filter((t) => t.conn.getConnectionInfo().mode === 'leader')).toHaveLength(1);
    // no herd: one new stream, not three
    expect(FakeEventSource.live()).toHaveLength(1);
    w.openLeaderStream();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(rest.filter((t) => t.conn.getConnectionInfo().mode === 'leader')).toHaveLength(1);
  });

  it('pitfall 6: a leader that says it is leaving but stays (cancelled beforeunload) leaves one leader', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const ra = a.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    w.openLeaderStream();
    await ra;
    await b.conn.connect();
    // a forged/unreliable goodbye from the leader while it still holds the lock
    const Ch = w.hub.ctorFor('a');
    const ch = new Ch('chat-p1');
    ch.postMessage({ type: 'leader-status', from: 'a', status: 'disconnected', timestamp: Date.now() });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.leaders().map((t) => t.id)).toEqual(['a']);
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
