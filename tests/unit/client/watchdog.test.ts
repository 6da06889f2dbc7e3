/**
 * Pitfalls 2, 3 and 5 (peers.md): a frozen leader keeps its lock; a held lock blocks the
 * back/forward cache; hidden-tab timers are throttled.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from './fakes/event-source.js';
import { World, type Tab } from './fakes/tabs.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function startAll(w: World, tabs: Tab[]): Promise<void> {
  const ready = tabs.map((t) => t.conn.connect());
  await vi.advanceTimersByTimeAsync(0);
  w.openLeaderStream();
  await Promise.all(ready);
  await vi.advanceTimersByTimeAsync(100);
}

function pageEvent(type: string, persisted: boolean): Event {
  const e = new Event(type);
  Object.defineProperty(e, 'persisted', { value: persisted });
  return e;
}

describe('follower watchdog', () => {
  it('pitfall 2: a frozen leader that keeps its lock is replaced by exactly one follower', async () => {
    const w = new World({ watchdogMs: 5000, probeMs: 2000 });
    const tabs = ['a', 'b', 'c', 'd'].map((id) => w.open(id));
    await startAll(w, tabs);
    const a = tabs[0]!;
    expect(w.locks.holder('sse-p1')).toBe('a');
    const firstStream = FakeEventSource.live()[0]!;

    w.hub.freeze('a'); // frozen: says nothing, hears nothing, but the browser keeps its lock
    await vi.advanceTimersByTimeAsync(9000);
    const newLeaders = tabs.slice(1).filter((t) => t.conn.getConnectionInfo().mode === 'leader');
    expect(newLeaders).toHaveLength(1);
    expect(w.locks.holder('sse-p1')).toBe(newLeaders[0]!.id);
    // the stolen leader stepped down and closed its stream
    expect(a.conn.getConnectionInfo().mode).toBe('follower');
    expect(firstStream.closedByClient).toBe(true);
    // one new stream, not one per follower
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(newLeaders[0]!.roles).toEqual(['follower', 'leader']);
    expect(a.roles).toEqual(['leader', 'follower']);
  });

  it('pitfall 5: a hidden leader whose timers fire once a minute but answers pings is not replaced', async () => {
    const w = new World({ watchdogMs: 5000, probeMs: 2000 });
    const a = w.open('a', { heartbeatMs: 60_000 }); // throttled heartbeat
    const b = w.open('b');
    const c = w.open('c');
    await startAll(w, [a, b, c]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(w.locks.holder('sse-p1')).toBe('a');
    expect(w.leaders().map((t) => t.id)).toEqual(['a']);
    expect(FakeEventSource.instances).toHaveLength(1);
    const pings = w.hub.log.filter((m) => (m.data as { type?: string }).type === 'ping').length;
    expect(pings).toBeGreaterThan(0); // the followers did check
  });
});

describe('page lifecycle', () => {
  it('pitfall 3: pagehide releases the lock (bfcache-friendly), pageshow from the cache contends again', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    await startAll(w, [a, b]);
    const stream = FakeEventSource.live()[0]!;

    a.win.dispatchEvent(pageEvent('pagehide', true));
    await vi.advanceTimersByTimeAsync(300); // b never got a message: it waits resumeWaitMs for resume points
    expect(w.locks.holder('sse-p1')).toBe('b');
    expect(stream.closedByClient).toBe(true);
    expect(a.conn.getConnectionInfo().mode).toBe('disconnected');
    w.openLeaderStream();

    a.win.dispatchEvent(pageEvent('pageshow', true));
    await vi.advanceTimersByTimeAsync(0);
    expect(w.locks.queued('sse-p1')).toEqual(['a']);
    expect(a.conn.getConnectionInfo().mode).toBe('follower');
    expect(b.conn.getConnectionInfo().mode).toBe('leader');
  });
});
