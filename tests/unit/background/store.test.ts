import { describe, expect, it } from 'vitest';
import { Store, type StorageArea, entriesAfter } from '../../../src/background/store';
import type { PanelMessage } from '../../../src/shared/protocol';
import { T0, channel, openEs, sseUrl, tab } from './fixtures';

/** An in-memory storage area that JSON-copies like storage.session does. */
function memoryStorage(): StorageArea & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    async get() {
      return Object.fromEntries([...items].map(([k, v]) => [k, JSON.parse(v) as unknown]));
    },
    async set(values) {
      for (const [k, v] of Object.entries(values)) items.set(k, JSON.stringify(v));
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
