/** The log reaches a panel newest first: the worker's side of the port (panel-feed) and the panel's store, end to end in node. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createLogFeed, type FeedMessage } from '../../../src/shared/panel-feed';
import type { LogEntry, PanelMessage } from '../../../src/shared/protocol';
import { createPanelStore, applyMessage, emptyPanelData } from '../../../src/panel/store';
import { createUi } from '../../../src/panel/ui';
import { indexSize, matchAt } from '../../../src/panel/model/filter';
import { entryAt, logEntries, logSize } from '../../../src/panel/model/log-view';
import { entry, message, resetSeq, snapshot } from './fixtures';

beforeEach(resetSeq);

const log = (n: number, fields: Partial<LogEntry> = {}) => Array.from({ length: n }, (_, i) => message(String(i), fields));

/** What the store posts when a panel subscribes: a snapshot, then the log in pages, oldest first, the first marked reset. */
function storeRun(entries: LogEntry[], page = 5000): PanelMessage[] {
  const out: PanelMessage[] = [{ kind: 'panel:snapshot', snapshot: snapshot() }];
  if (entries.length === 0) out.push({ kind: 'panel:log', entries: [], reset: true });
  for (let i = 0; i < entries.length; i += page) out.push({ kind: 'panel:log', entries: entries.slice(i, i + page), reset: i === 0 });
  return out;
}

function feedOf(options: { head: number; chunk: number }) {
  const sent: FeedMessage[] = [];
  const deferred: (() => void)[] = [];
  const feed = createLogFeed((m) => sent.push(m), { ...options, defer: (fn) => deferred.push(fn) });
  const endTask = () => deferred.splice(0).forEach((fn) => fn());
  return { feed, sent, endTask };
}

describe('the worker side of the feed', () => {
  it('sends the newest entries first, then older chunks only when asked', () => {
    const { feed, sent, endTask } = feedOf({ head: 3, chunk: 4 });
    const all = log(10);
    for (const m of storeRun(all, 4)) feed.post(m);
    // The snapshot goes at once; the log waits for the end of the store's run.
    expect(sent.map((m) => m.kind)).toEqual(['panel:snapshot']);
    endTask();
    const head = sent[1] as Extract<FeedMessage, { kind: 'feed:head' }>;
    expect(head.kind).toBe('feed:head');
    expect(head.entries.map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(head.older).toBe(7);
    expect(sent).toHaveLength(2);
    feed.receive({ kind: 'feed:more', load: head.load });
    feed.receive({ kind: 'feed:more', load: head.load });
    feed.receive({ kind: 'feed:more', load: head.load });
    feed.receive({ kind: 'feed:more', load: head.load });
    const older = sent.slice(2) as Extract<FeedMessage, { kind: 'feed:older' }>[];
    expect(older.map((m) => [m.entries.map((e) => e.seq), m.remaining])).toEqual([
      [[4, 5, 6, 7], 3],
      [[1, 2, 3], 0],
    ]);
  });

  it('passes deltas through while older entries are still to come, and ignores stale or bad requests', () => {
    const { feed, sent, endTask } = feedOf({ head: 2, chunk: 2 });
    for (const m of storeRun(log(5))) feed.post(m);
    endTask();
    const head = sent[1] as Extract<FeedMessage, { kind: 'feed:head' }>;
    const delta: PanelMessage = { kind: 'panel:log', entries: log(1), reset: false };
    feed.post(delta);
    expect(sent[2]).toBe(delta);
    feed.receive({ kind: 'feed:more', load: head.load + 1 });
    feed.receive({ kind: 'nonsense' });
    feed.receive(null);
    expect(sent).toHaveLength(3);
    // A new reset (capture cleared) starts a new load; the old one's requests get nothing.
    for (const m of storeRun(log(1)).slice(1)) feed.post(m);
    endTask();
    const second = sent[3] as Extract<FeedMessage, { kind: 'feed:head' }>;
    expect(second.kind).toBe('feed:head');
    expect(second.older).toBe(0);
    feed.receive({ kind: 'feed:more', load: head.load });
    expect(sent).toHaveLength(4);
  });

  it('an empty log is an empty head', () => {
    const { feed, sent, endTask } = feedOf({ head: 2, chunk: 2 });
    for (const m of storeRun([])) feed.post(m);
    endTask();
    expect(sent[1]).toMatchObject({ kind: 'feed:head', entries: [], older: 0 });
  });
});

/** Drive the worker side and the panel's store together, as the port does. */
function wire(entries: LogEntry[], options: { head: number; chunk: number; perFrame?: number }) {
  // "After paint" is at once here: the tests drive frames themselves.
  const store = createPanelStore(1, { olderPerFrame: options.perFrame, afterPaint: (fn) => fn() });
  const ui = createUi(store);
  const toPanel: FeedMessage[] = [];
  const toWorker: unknown[] = [];
  store.setRequest((m) => toWorker.push(m));
  const feedSend = createLogFeed((m) => toPanel.push(m), { ...options, defer: (fn) => deferred.push(fn) });
  const deferred: (() => void)[] = [];
  for (const m of storeRun(entries)) feedSend.post(m);
  deferred.splice(0).forEach((fn) => fn());
  /** Deliver what the worker sent, answer what the panel asked; `frames` flushes (each applies at most one older chunk). */
  const step = () => {
    for (const m of toPanel.splice(0)) store.receive(m);
    for (const r of toWorker.splice(0)) feedSend.receive(r);
  };
  return { store, ui, step, toPanel, worker: feedSend };
}

describe('the panel loading a log newest first', () => {
  it('shows the newest entries first, says older ones are loading, and ends with the whole log in order', async () => {
    const all = log(23);
    const { store, ui, step } = wire(all, { head: 5, chunk: 4 });
    step();
    store.flush();
    expect(logEntries(store.data.value.log).map((e) => e.seq)).toEqual([19, 20, 21, 22, 23]);
    expect(store.olderPending.value).toBe(18);
    void ui.logModel.index.value;
    const done = store.loaded();
    let rounds = 0;
    while (store.olderPending.value > 0 && rounds++ < 50) {
      step();
      store.flush();
      // The list reads its index after each update (as the log view does).
      void ui.logModel.index.value;
    }
    await done;
    expect(logEntries(store.data.value.log).map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    const index = ui.logModel.index.value!;
    expect(indexSize(index)).toBe(23);
    expect(entryAt(store.data.value.log, matchAt(index, 0)!)?.seq).toBe(1);
    // The index grew at the front, incrementally: never rescanned.
    expect(index.prepended).toBe(18);
  });

  it('keeps deltas that come during the load after the newest, and filters cover the whole log once loaded', () => {
    const all = [...log(6), message('needle'), ...log(6)];
    const { store, ui, step } = wire(all, { head: 2, chunk: 3 });
    step();
    store.flush();
    store.receive({ kind: 'panel:log', entries: [message('needle, new')], reset: false });
    ui.filterText.value = 'needle';
    for (let i = 0; i < 20 && store.olderPending.value > 0; i++) {
      step();
      store.flush();
    }
    store.flush();
    const shown = ui.logModel.index.value!;
    expect(indexSize(shown)).toBe(2);
    expect(logEntries(store.data.value.log).map((e) => e.seq)).toEqual([...all.map((e) => e.seq), 14]);
  });

  describe('with animation frames', () => {
    const frames: FrameRequestCallback[] = [];
    beforeEach(() => {
      vi.useFakeTimers();
      vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    });
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.useRealTimers();
      frames.length = 0;
    });
    const frame = () => frames.splice(0).forEach((cb) => cb(0));

    it('applies older entries up to a budget per frame, and asks for the next chunk before applying', () => {
      const { store, step, toPanel, worker } = wire(log(20), { head: 2, chunk: 3, perFrame: 1 });
      step();
      frame();
      expect(logSize(store.data.value.log)).toBe(2);
      // Each chunk received asks for the next at once: with a fast port, every chunk is here before a frame.
      for (let i = 0; i < 10; i++) step();
      expect(toPanel).toHaveLength(0);
      expect(worker).toBeDefined();
      expect(logSize(store.data.value.log)).toBe(2);
      frame();
      expect(logSize(store.data.value.log)).toBe(5);
      frame();
      expect(logSize(store.data.value.log)).toBe(8);
      frame();
      frame();
      expect(logSize(store.data.value.log)).toBe(14);
      expect(store.olderPending.value).toBe(6);
      frame();
      frame();
      expect(logSize(store.data.value.log)).toBe(20);
      expect(store.olderPending.value).toBe(0);
    });

    it('takes several chunks in one frame while they fit the budget', () => {
      const { store, step } = wire(log(20), { head: 2, chunk: 3, perFrame: 5 });
      step();
      frame();
      for (let i = 0; i < 10; i++) step();
      // 3 + 3 (the budget of 5 is crossed by the second chunk), then the next frame.
      frame();
      expect(logSize(store.data.value.log)).toBe(8);
      frame();
      expect(logSize(store.data.value.log)).toBe(14);
      frame();
      frame();
      expect(logSize(store.data.value.log)).toBe(20);
    });
  });

  it('asks for older entries only once the newest are applied and painted, two at a time', () => {
    const painted: (() => void)[] = [];
    const store = createPanelStore(1, { afterPaint: (fn) => painted.push(fn) });
    const asked: unknown[] = [];
    store.setRequest((m) => asked.push(m));
    store.receive({ kind: 'feed:head', load: 7, entries: log(2), older: 10 });
    expect(asked).toEqual([]);
    store.flush();
    expect(asked).toEqual([]);
    painted.splice(0).forEach((fn) => fn());
    expect(asked).toEqual([
      { kind: 'feed:more', load: 7 },
      { kind: 'feed:more', load: 7 },
    ]);
    // Each chunk that arrives asks for the next while more remain.
    store.receive({ kind: 'feed:older', load: 7, entries: log(4), remaining: 6 });
    store.receive({ kind: 'feed:older', load: 7, entries: log(4), remaining: 2 });
    store.receive({ kind: 'feed:older', load: 7, entries: log(2), remaining: 0 });
    expect(asked).toHaveLength(4);
  });

  it('older chunks of a replaced load are ignored', () => {
    let d = applyMessage(emptyPanelData(), { kind: 'feed:head', load: 1, entries: log(2), older: 5 });
    d = applyMessage(d, { kind: 'feed:head', load: 2, entries: log(1), older: 0 });
    const after = applyMessage(d, { kind: 'feed:older', load: 1, entries: log(3), remaining: 2 });
    expect(after).toBe(d);
  });

  it('a navigation found in an older chunk counts only when nothing newer replaced it', () => {
    const gone1 = entry('doc:gone', { name: 'http://app.test/' });
    const mid = log(2);
    const gone2 = entry('doc:gone', { name: 'http://app.test/' });
    const newest = log(2);
    let d = applyMessage(emptyPanelData(), { kind: 'feed:head', load: 1, entries: [gone2, ...newest], older: 3 });
    d = applyMessage(d, { kind: 'feed:older', load: 1, entries: [gone1, ...mid], remaining: 0 });
    expect(d.navigations.get(1)?.seq).toBe(gone2.seq);
    let e = applyMessage(emptyPanelData(), { kind: 'feed:head', load: 1, entries: newest, older: 3 });
    e = applyMessage(e, { kind: 'feed:older', load: 1, entries: [gone1, ...mid], remaining: 0 });
    expect(e.navigations.get(1)?.seq).toBe(gone1.seq);
  });

  it('any head and chunk sizes deliver the whole log, in order, exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), (n, head, chunk) => {
        resetSeq();
        const all = log(n);
        const { store, step } = wire(all, { head, chunk });
        for (let i = 0; i < 100; i++) {
          step();
          store.flush();
        }
        expect(store.olderPending.value).toBe(0);
        expect(logEntries(store.data.value.log).map((e) => e.seq)).toEqual(all.map((e) => e.seq));
      }),
      { numRuns: 60 },
    );
  });
});
