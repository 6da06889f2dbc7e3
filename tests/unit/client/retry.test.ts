/**
 * Pitfalls 6 and 9 (peers.md): retry storms, Retry-After ignored, followers reconnecting on
 * their own. Only the leader retries, never before Retry-After, with jitter.
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

describe('retries', () => {
  it('pitfall 9: on a 429 only the leader retries, and not before Retry-After', async () => {
    const w = new World();
    const probes: string[] = [];
    w.fetch = (url, init) => {
      probes.push(`${init?.method ?? 'GET'} ${url}`);
      return Promise.resolve(new Response(null, { status: 429, headers: { 'Retry-After': '3', 'X-SSE-Connection-Limit': '5', 'X-SSE-Current-Connections': '5' } }));
    };
    const tabs = ['a', 'b', 'c'].map((id) => w.open(id));
    const ready = tabs.map((t) => t.conn.connect());
    await vi.advanceTimersByTimeAsync(0);
    FakeEventSource.instances[0]!.refuse(); // the server said 429; EventSource only says "error"
    await Promise.all(ready);
    const [leader] = w.leaders();
    expect(leader?.conn.getConnectionInfo().streamState).toBe('backoff');
    expect(probes).toEqual(['HEAD /api/persistent-chat/stream?projectId=p1']);
    const retryAt = leader!.conn.getConnectionInfo().retryAt!;
    expect(retryAt - Date.now()).toBeGreaterThanOrEqual(3000);
    // followers know why (for their banner), and open nothing
    await vi.advanceTimersByTimeAsync(10);
    for (const t of tabs) if (t !== leader) expect(t.conn.getConnectionInfo().leaderStatus).toBe('backoff');
    await vi.advanceTimersByTimeAsync(2990);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(retryAt - Date.now());
    expect(FakeEventSource.instances).toHaveLength(2);
    // over a minute of refusals: a handful of attempts, all from the leader, spaced by >= 3 s
    const attempts: number[] = [Date.now()];
    for (let i = 0; i < 60; i += 1) {
      const live = FakeEventSource.live();
      if (live.length) {
        live[0]!.refuse();
        await vi.advanceTimersByTimeAsync(0);
      }
      const before = FakeEventSource.instances.length;
      await vi.advanceTimersByTimeAsync(1000);
      if (FakeEventSource.instances.length > before) attempts.push(Date.now());
    }
    for (let i = 1; i < attempts.length; i += 1) expect(attempts[i]! - attempts[i - 1]!).toBeGreaterThanOrEqual(3000);
    expect(attempts.length).toBeLessThan(15);
    expect(w.leaders().map((t) => t.id)).toEqual([leader!.id]);
  });

  it('a dropped stream is left to the browser to reconnect (Last-Event-ID kept); a refused one backs off', async () => {
    const w = new World();
    w.fetch = () => Promise.resolve(new Response(null, { status: 200 }));
    const a = w.open('a');
    const ready = a.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    const es = w.openLeaderStream();
    await ready;
    es.drop();
    expect(a.conn.getConnectionInfo().streamState).toBe('connecting');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.instances).toHaveLength(1); // no second stream next to the browser's retry
    es.open();
    expect(a.conn.getConnectionInfo().streamState).toBe('open');
    es.refuse();
    await vi.advanceTimersByTimeAsync(0); // the HEAD probe says why
    expect(a.conn.getConnectionInfo().streamState).toBe('backoff');
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("found by the simulation: the browser's own reconnect refused with 429 waits for the Retry-After (learnt by HEAD)", async () => {
    const w = new World();
    const a = w.open('a');
    const ready = a.conn.connect();
    await vi.advanceTimersByTimeAsync(0);
    const es = w.openLeaderStream();
    await ready;
    es.drop(); // the browser reconnects by itself...
    es.refuse(); // ...and that reconnect is refused: the page sees only "error", readyState CLOSED
    await vi.advanceTimersByTimeAsync(0);
    const info = a.conn.getConnectionInfo();
    expect(info.streamState).toBe('backoff');
    expect(info.retryAt! - Date.now()).toBeGreaterThanOrEqual(3000); // refuse429 says Retry-After: 3
    await vi.advanceTimersByTimeAsync(2999);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('found by the simulation: a follower that takes over from a refused leader keeps its Retry-After', async () => {
    const w = new World({ watchdogMs: 5000, probeMs: 2000 });
    const a = w.open('a');
    const b = w.open('b');
    const ready = [a.conn.connect(), b.conn.connect()];
    await vi.advanceTimersByTimeAsync(0);
    FakeEventSource.instances[0]!.refuse(); // 429 (Retry-After 3 s per the HEAD probe)
    await Promise.all(ready);
    await vi.advanceTimersByTimeAsync(10);
    const retryAt = b.conn.getConnectionInfo().retryAt!;
    expect(b.conn.getConnectionInfo().leaderStatus).toBe('backoff');
    w.crash(a); // the leader goes at once; b is granted the lock
    await vi.advanceTimersByTimeAsync(10);
    expect(b.conn.getConnectionInfo().mode).toBe('leader');
    expect(FakeEventSource.instances).toHaveLength(1); // not before the Retry-After a relayed
    await vi.advanceTimersByTimeAsync(retryAt - Date.now() + 1);
    expect(FakeEventSource.instances).toHaveLength(2);
  });
});
