/**
 * Pitfall 7 (peers.md): one exception in a handler must not stop the relay; a new tab must
 * not overwrite the others' state. Plus the Last-Event-ID handoff and deduplication.
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

async function startAll(w: World, tabs: Tab[]): Promise<FakeEventSource> {
  const ready = tabs.map((t) => t.conn.connect());
  await vi.advanceTimersByTimeAsync(0);
  const es = w.openLeaderStream();
  await Promise.all(ready);
  await vi.advanceTimersByTimeAsync(10);
  return es;
}

const ids = (t: Tab): Array<string | undefined> => t.received.map((r) => r.id);

describe('relay', () => {
  it('pitfall 7: a handler that throws stops neither the other handlers nor the relay', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const after: Record<string, Array<string | undefined>> = { a: [], b: [] };
    a.conn.addMessageHandler(() => {
      throw new Error('leader handler bug');
    });
    a.conn.addMessageHandler((_d, m) => after['a']!.push(m.id));
    b.conn.addMessageHandler(() => {
      throw new Error('follower handler bug');
    });
    b.conn.addMessageHandler((_d, m) => after['b']!.push(m.id));
    const es = await startAll(w, [a, b]);
    for (let i = 1; i <= 3; i += 1) es.message(JSON.stringify({ text: `m${i}` }), String(i));
    es.message('not json', '4'); // unparsable data is passed on as text, not dropped
    await vi.advanceTimersByTimeAsync(10);
    expect(ids(a)).toEqual(['1', '2', '3', '4']);
    expect(ids(b)).toEqual(['1', '2', '3', '4']);
    expect(after).toEqual({ a: ['1', '2', '3', '4'], b: ['1', '2', '3', '4'] }); // handlers after the broken one
    expect(b.received[0]!.data).toEqual({ text: 'm1' });
    expect(b.received[3]!.data).toBe('not json');
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
  });

  it('pitfall 7: a new tab neither changes the leader nor resets what the others received', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const es = await startAll(w, [a, b]);
    es.message('{"text":"before"}', '1');
    await vi.advanceTimersByTimeAsync(10);
    const c = w.open('c');
    await c.conn.connect();
    await vi.advanceTimersByTimeAsync(2000);
    c.conn.disconnect(); // and its goodbye changes nothing either
    await vi.advanceTimersByTimeAsync(2000);
    es.message('{"text":"after"}', '2');
    await vi.advanceTimersByTimeAsync(10);
    expect(w.leaders().map((t) => t.id)).toEqual(['a']);
    expect(ids(b)).toEqual(['1', '2']);
    expect(b.conn.getConnectionInfo().leaderId).toBe('a');
    expect(b.conn.getConnectionInfo().leaderStatus).toBe('connected');
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('a new leader resumes with the Last-Event-ID it saw; replayed overlap is not delivered twice', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const c = w.open('c');
    const es = await startAll(w, [a, b, c]);
    for (let i = 1; i <= 5; i += 1) es.message(`{"n":${i}}`, String(i));
    await vi.advanceTimersByTimeAsync(10);
    w.crash(a);
    await vi.advanceTimersByTimeAsync(0);
    const [next] = w.leaders();
    expect(next).toBeDefined();
    const es2 = FakeEventSource.live()[0]!;
    expect(es2.lastEventIdParam).toBe('5');
    es2.open();
    // the server replays from 5 (here with an overlap, as a server with coarse history may)
    for (let i = 4; i <= 8; i += 1) es2.message(`{"n":${i}}`, String(i));
    await vi.advanceTimersByTimeAsync(10);
    for (const t of [b, c]) expect(ids(t)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('a follower that missed relayed messages gets them from the new leader (resync)', async () => {
    const w = new World();
    const a = w.open('a');
    const b = w.open('b');
    const c = w.open('c');
    const es = await startAll(w, [a, b, c]);
    es.message('{"n":1}', '1');
    await vi.advanceTimersByTimeAsync(10);
    // c freezes briefly and misses 2 and 3; then the leader dies
    w.hub.freeze('c');
    es.message('{"n":2}', '2');
    es.message('{"n":3}', '3');
    await vi.advanceTimersByTimeAsync(10);
    w.hub.thaw('c');
    w.crash(a);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.leaders().map((t) => t.id)).toEqual(['b']);
    const es2 = FakeEventSource.live()[0]!;
    expect(es2.lastEventIdParam).toBe('3');
    es2.open();
    es2.message('{"n":4}', '4');
    await vi.advanceTimersByTimeAsync(50);
    expect([...ids(c)].sort()).toEqual(['1', '2', '3', '4']);
    expect(new Set(ids(c)).size).toBe(4);
  });

  it('a DevTools hook that throws changes nothing', async () => {
    const w = new World();
    const a = w.open('a');
    (a.win as unknown as { __SSE_DEVTOOLS_HOOK__: unknown }).__SSE_DEVTOOLS_HOOK__ = {
      declareRole: () => {
        throw new Error('extension bug');
      },
    };
    const es = await startAll(w, [a]);
    es.message('{"n":1}', '1');
    expect(a.conn.getConnectionInfo().mode).toBe('leader');
    expect(ids(a)).toEqual(['1']);
  });

  it('a tab that joined after the last message and then leads resumes from the leader\'s last id', async () => {
    const w = new World();
    const a = w.open('a');
    const es = await startAll(w, [a]);
    for (let i = 1; i <= 3; i += 1) es.message(`{"n":${i}}`, String(i));
    const c = w.open('c');
    await c.conn.connect();
    await vi.advanceTimersByTimeAsync(1500);
    expect(c.received).toHaveLength(0);
    w.crash(a);
    await vi.advanceTimersByTimeAsync(0);
    expect(c.conn.getConnectionInfo().mode).toBe('leader');
    expect(FakeEventSource.live()[0]!.lastEventIdParam).toBe('3');
  });
});
