import { describe, expect, it } from 'vitest';
import { Store, type StorageArea, entriesAfter, writeGroups } from '../../../src/background/store';
import type { PanelMessage } from '../../../src/shared/protocol';
import { T0, channel, openEs, sseUrl, tab } from './fixtures';

/** An in-memory storage area that JSON-copies like storage.session does; a write over `quota` characters fails as a whole. */
function memoryStorage(quota = Infinity): StorageArea & { items: Map<string, string>; chars(): number } {
  const items = new Map<string, string>();
  const chars = (m: Map<string, string>) => [...m].reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    items,
    chars: () => chars(items),
    async get() {
      return Object.fromEntries([...items].map(([k, v]) => [k, JSON.parse(v) as unknown]));
    },
    async set(values) {
      const next = new Map(items);
      for (const [k, v] of Object.entries(values)) next.set(k, JSON.stringify(v));
      if (chars(next) > quota) throw new Error('QUOTA_BYTES quota exceeded');
      for (const [k, v] of next) items.set(k, v);
    },
    async remove(keys) {
      for (const k of keys) items.delete(k);
    },
  };
}

describe('store persistence', () => {
  it('a restarted store carries on where the stopped one was', async () => {
    const storage = memoryStorage();
    const a = tab(1);
    const first = new Store({ storage, now: () => T0 });
    await first.ready;
    first.dispatch(a.hello);
    first.dispatch(a.events(T0, ...openEs(1, sseUrl('p')), channel(2, 'chat-p')));
    for (let i = 1; i <= 2500; i++) {
      first.dispatch(a.events(T0 + i, { kind: 'es:message', t: T0 + i, id: 1, type: 'message', preview: `m${i}`, size: 2, lastEventId: String(i) }));
    }
    await first.flush();
    const before = first.snapshot();

    // Events that arrive before the restore finishes wait for it.
    const second = new Store({ storage, now: () => T0 });
    second.dispatch(a.events(T0 + 3000, { kind: 'es:message', t: T0 + 3000, id: 1, type: 'message', preview: 'after', size: 5, lastEventId: '2501' }));
    await second.ready;
    const after = second.snapshot();
    expect(after.connections[0]!.messageCount).toBe(before.connections[0]!.messageCount + 1);
    expect(after.connections[0]!.lastEventId).toBe('2501');
    expect(second.state.log.length).toBe(first.state.log.length + 1);
    expect(second.state.log.map((e) => e.seq)).toEqual([...first.state.log.map((e) => e.seq), first.state.seq]);
    expect(after.projects).toEqual(before.projects);
  });

  it('writes only a few log chunks per flush and removes evicted ones', async () => {
    const storage = memoryStorage();
    const store = new Store({ storage, now: () => T0 });
    await store.ready;
    const a = tab(1);
    store.dispatch(a.hello);
    store.dispatch(a.events(T0, channel(1, 'chat-p')));
    await store.flush();
    const keys = () => [...storage.items.keys()].filter((k) => k.startsWith('session:log:'));
    expect(keys()).toEqual(['session:log:0']);
    store.dispatch({ kind: 'capture:clear' });
    await store.flush();
    expect(keys()).toEqual([]);
  });
});

describe('storage budget', () => {
  const fill = (store: Store, n: number) => {
    const a = tab(1);
    store.dispatch(a.hello);
    store.dispatch(a.events(T0, ...openEs(1, sseUrl('p'))));
    for (let i = 1; i <= n; i++) {
      store.dispatch(a.events(T0 + i, { kind: 'es:message', t: T0 + i, id: 1, type: 'message', preview: `message number ${i} `.repeat(4), size: 80, lastEventId: String(i) }));
    }
  };
  const logKeys = (storage: ReturnType<typeof memoryStorage>) =>
    [...storage.items.keys()].filter((k) => k.startsWith('session:log:')).map((k) => Number(k.slice('session:log:'.length))).sort((a, b) => a - b);

  it('keeps only the newest log chunks that fit in storage; a restarted store has every count and the newest entries', async () => {
    const storage = memoryStorage();
    const first = new Store({ storage, now: () => T0, logStorageChars: 200_000 });
    await first.ready;
    fill(first, 5000);
    await first.flush();
    const keys = logKeys(storage);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.at(-1)).toBe(5); // the newest chunk (seq 5000..5002)
    expect(keys.length).toBeLessThan(6);
    // Contiguous: the newest chunks, none missing in between.
    expect(keys).toEqual(keys.map((_, i) => keys[0]! + i));
    const second = new Store({ storage, now: () => T0 });
    await second.ready;
    expect(second.state.stats).toEqual(first.state.stats);
    expect(second.snapshot().connections).toEqual(first.snapshot().connections);
    const kept = first.state.log.slice(-second.state.log.length);
    expect(second.state.log).toEqual(kept);
    expect(second.state.log[0]!.seq).toBe(keys[0]! * 1000);
  });

  it('a write over the quota is tried again with less of the log, and acknowledges once it is written', async () => {
    const storage = memoryStorage(150_000);
    const store = new Store({ storage, now: () => T0, persistDelayMs: 1 });
    await store.ready;
    fill(store, 3000);
    let acked = 0;
    store.onPersisted(() => () => void acked++);
    store.dispatch(tab(1).events(T0, { kind: 'es:message', t: T0, id: 1, type: 'message', preview: 'last', size: 4, lastEventId: 'last' }));
    await store.flush();
    for (let i = 0; i < 20 && acked === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.persistErrors).toBeGreaterThan(0);
    expect(acked).toBeGreaterThan(0);
    expect(storage.chars()).toBeLessThanOrEqual(150_000);
    const second = new Store({ storage, now: () => T0 });
    await second.ready;
    expect(second.state.stats).toEqual(store.state.stats);
    expect(second.state.log.at(-1)).toEqual(store.state.log.at(-1));
  });
});

describe('writes in parts', () => {
  it('groups log chunks into writes of at most 256 K characters; a larger chunk goes alone', () => {
    const big = 'x'.repeat(200 * 1024);
    const groups = writeGroups({ a: big, b: big, c: 'y', d: 'x'.repeat(300 * 1024), e: 'z' });
    expect(groups.map((g) => Object.keys(g))).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
    expect(writeGroups({})).toEqual([]);
  });

  it('a worker stopped after the log chunks were written but before the core restores the state of the last whole write', async () => {
    const storage = memoryStorage();
    const first = new Store({ storage, now: () => T0 });
    await first.ready;
    const a = tab(1);
    first.dispatch(a.hello);
    first.dispatch(a.events(T0, ...openEs(1, sseUrl('p'))));
    for (let i = 1; i <= 1500; i++) first.dispatch(a.events(T0 + i, { kind: 'es:message', t: T0 + i, id: 1, type: 'message', preview: `m${i}`, size: 2, lastEventId: String(i) }));
    await first.flush();
    const whole = { stats: { ...first.state.stats }, log: [...first.state.log], seq: first.state.seq };
    // The next write gets its chunks in, and stops before the core.
    const set = storage.set.bind(storage);
    storage.set = async (values) => {
      if ('session:core' in values) throw new Error('stopped');
      await set(values);
    };
    for (let i = 1501; i <= 2600; i++) first.dispatch(a.events(T0 + i, { kind: 'es:message', t: T0 + i, id: 1, type: 'message', preview: `m${i}`, size: 2, lastEventId: String(i) }));
    await first.flush();
    expect([...storage.items.keys()]).toContain('session:log:2');
    const second = new Store({ storage, now: () => T0 });
    await second.ready;
    expect(second.state.seq).toBe(whole.seq);
    expect(second.state.stats).toEqual(whole.stats);
    expect(second.state.log).toEqual(whole.log);
  });
});

describe('panel feed', () => {
  it('sends a snapshot and the log, then only new entries', async () => {
    const store = new Store({ panelDelayMs: 1 });
    await store.ready;
    const a = tab(1);
    store.dispatch(a.hello);
    store.dispatch(a.events(T0, channel(1, 'chat-p')));
    const got: PanelMessage[] = [];
    store.subscribe({ post: (m) => got.push(m) });
    expect(got.map((m) => m.kind)).toEqual(['panel:snapshot', 'panel:log']);
    store.dispatch(a.events(T0, { kind: 'bc:post', t: T0, id: 1, size: 1, preview: 'x' }));
    await new Promise((r) => setTimeout(r, 20));
    const logs = got.filter((m): m is Extract<PanelMessage, { kind: 'panel:log' }> => m.kind === 'panel:log');
    expect(logs.map((m) => m.entries.map((e) => e.kind))).toEqual([['bc:create'], ['bc:post']]);
  });

  it('entriesAfter finds entries by sequence', () => {
    const log = [1, 2, 5, 9].map((seq) => ({ seq, t: 0, tabId: 1, frameId: 0, kind: 'es:open' as const, ref: null, name: '' }));
    expect(entriesAfter(log, 2).map((e) => e.seq)).toEqual([5, 9]);
    expect(entriesAfter(log, 0).length).toBe(4);
    expect(entriesAfter(log, 9)).toEqual([]);
  });
});
