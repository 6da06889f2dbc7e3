import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../../src/content/batcher';
import { encodeEvent } from '../../../src/content/encode';
import { parsePageBatch, type PageEvent } from '../../../src/shared/protocol';

const msg = (n: number, preview = `m${n}`): PageEvent => ({
  kind: 'es:message',
  t: 1000 + n,
  id: 1,
  type: 'message',
  preview,
  size: preview.length,
  lastEventId: String(n),
});

function setup(options: { capacity?: number; maxBatchEvents?: number; maxBatchChars?: number } = {}) {
  const sent: string[] = [];
  const pending: (() => void)[] = [];
  const batcher = createBatcher({ dispatch: (json) => sent.push(json), schedule: (f) => pending.push(f), ...options });
  const run = () => {
    while (pending.length) pending.shift()?.();
  };
  const batches = () => sent.map((s) => parsePageBatch(s));
  return { batcher, sent, pending, run, batches };
}

describe('encodeEvent', () => {
  it('produces JSON that parses back to the same event, escapes included', () => {
    const e: PageEvent = { kind: 'es:message', t: 1, id: 1, type: 'message', size: 1, lastEventId: '', preview: 'quote " backslash \\ newline \n nul \0 emoji 😀 \u2028' };
    expect(JSON.parse(encodeEvent(e))).toEqual(e);
    const open: PageEvent = { kind: 'fetch:open', t: 5, id: 2, url: 'http://x/', method: 'GET', status: 200, headers: { 'content-type': 'text/event-stream', 'x-"odd\\name\n': 'v' } };
    expect(JSON.parse(encodeEvent(open))).toEqual(open);
    expect(encodeEvent(open)).toBe(JSON.stringify(open));
  });

  it('does not consult Object.prototype.toJSON or Array.prototype.toJSON', () => {
    let touched = 0;
    for (const proto of [Object.prototype, Array.prototype]) {
      Object.defineProperty(proto, 'toJSON', { get: () => { touched++; return undefined; }, configurable: true });
    }
    try {
      const { batcher, run, batches } = setup();
      batcher.setReady();
      batcher.push({ kind: 'fetch:open', t: 5, id: 2, url: 'u', method: 'GET', status: 200, headers: { a: 'b' } });
      run();
      expect(batches()[0]?.events).toHaveLength(1);
    } finally {
      delete (Object.prototype as { toJSON?: unknown }).toJSON;
      delete (Array.prototype as { toJSON?: unknown }).toJSON;
    }
    expect(touched).toBe(0);
  });
});

describe('batcher', () => {
  it('sends nothing before the relay answered, then everything queued, in order', () => {
    const { batcher, sent, run, batches } = setup();
    batcher.push(msg(1));
    batcher.push(msg(2));
    run();
    expect(sent).toHaveLength(0);
    batcher.setReady();
    run();
    expect(batches()).toEqual([{ events: [msg(1), msg(2)], invalid: 0, dropped: 0 }]);
  });

  it('flushes once per scheduled turn: many events, one dispatch', () => {
    const { batcher, sent, pending, run } = setup();
    batcher.setReady();
    for (let i = 0; i < 100; i++) batcher.push(msg(i));
    expect(pending).toHaveLength(1);
    run();
    expect(sent).toHaveLength(1);
  });

  it('splits by event count and by size', () => {
    const a = setup({ maxBatchEvents: 3 });
    a.batcher.setReady();
    for (let i = 0; i < 7; i++) a.batcher.push(msg(i));
    a.run();
    expect(a.batches().map((b) => b?.events.length)).toEqual([3, 3, 1]);

    const b = setup({ maxBatchChars: 256 + 400 });
    b.batcher.setReady();
    for (let i = 0; i < 6; i++) b.batcher.push(msg(i, 'x'.repeat(150)));
    b.run();
    expect(b.sent.length).toBeGreaterThan(1);
    for (const s of b.sent) expect(s.length).toBeLessThanOrEqual(656);
    expect(b.batches().flatMap((x) => x?.events ?? [])).toHaveLength(6);
  });

  it('bounds the queue: drops the oldest and reports how many', () => {
    const { batcher, run, batches } = setup({ capacity: 5 });
    for (let i = 0; i < 12; i++) batcher.push(msg(i));
    expect(batcher.pending).toBe(5);
    expect(batcher.dropped).toBe(7);
    batcher.setReady();
    run();
    const [first] = batches();
    expect(first?.dropped).toBe(7);
    expect(first?.events.map((e) => (e as { lastEventId: string }).lastEventId)).toEqual(['7', '8', '9', '10', '11']);
  });

  it('drops (and counts) a single event larger than a batch', () => {
    const { batcher, run, batches } = setup({ maxBatchChars: 256 + 100 });
    batcher.setReady();
    batcher.push(msg(1, 'y'.repeat(500)));
    batcher.push(msg(2));
    run();
    expect(batches()).toEqual([{ events: [msg(2)], invalid: 0, dropped: 1 }]);
  });

  it('an event that fills a batch exactly, or one short of it, never stalls the flush', () => {
    for (const extra of [-2, -1, 0, 1]) {
      const base = encodeEvent(msg(1, ''));
      const limit = 100;
      const { batcher, run, batches } = setup({ maxBatchChars: 256 + limit });
      batcher.setReady();
      batcher.push(msg(1, 'z'.repeat(limit - base.length + extra)));
      batcher.push(msg(2));
      run();
      const sent = batches();
      expect(sent.flatMap((b) => b?.events ?? []).at(-1)).toEqual(msg(2));
      expect(sent.reduce((n, b) => n + (b?.events.length ?? 0) + (b?.dropped ?? 0), 0)).toBe(2);
    }
  });
});

describe('batcher pacing', () => {
  function paced(options: { minIntervalMs?: number; urgentIntervalMs?: number; urgent?: (e: PageEvent) => boolean } = {}) {
    let clock = 0;
    const sent: string[] = [];
    const micro: (() => void)[] = [];
    const timers: { at: number; fn: () => void }[] = [];
    const batcher = createBatcher({
      dispatch: (json) => sent.push(json),
      schedule: (f) => micro.push(f),
      setTimer: (f, ms) => timers.push({ at: clock + ms, fn: f }),
      now: () => clock,
      minIntervalMs: 50,
      maxBatchEvents: 4,
      ...options,
    });
    const runMicro = () => {
      while (micro.length) micro.shift()?.();
    };
    const advance = (ms: number) => {
      clock += ms;
      runMicro();
      for (const t of timers.filter((x) => x.at <= clock)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
      runMicro();
    };
    return { batcher, sent, runMicro, advance };
  }

  it('messages wait for the long interval; an urgent event (a state change) brings the flush forward', () => {
    const { batcher, sent, runMicro, advance } = paced({ minIntervalMs: 200, urgentIntervalMs: 50, urgent: (e) => e.kind !== 'es:message' });
    batcher.setReady();
    batcher.push(msg(1));
    runMicro();
    expect(sent).toHaveLength(1);
    advance(10);
    batcher.push(msg(2));
    advance(60);
    expect(sent).toHaveLength(1); // a message waits for 200 ms
    batcher.push({ kind: 'es:close', t: 70, id: 1 });
    runMicro();
    // 70 ms since the last flush: over the urgent interval, so it goes in the next microtask, with the message before it.
    expect(sent).toHaveLength(2);
    expect(parsePageBatch(sent[1])?.events.map((e) => e.kind)).toEqual(['es:message', 'es:close']);
    // Just after that flush (at 70), an urgent event waits the urgent interval only: until 120.
    advance(30);
    batcher.push({ kind: 'es:open', t: 100, id: 2 });
    advance(10);
    expect(sent).toHaveLength(2);
    advance(10);
    expect(sent).toHaveLength(3);
    // A message now waits 200 ms (until 320); the stale timer of the first message (due at 200) does not flush it early.
    advance(5);
    batcher.push(msg(3));
    advance(80);
    expect(sent).toHaveLength(3);
    advance(120);
    expect(sent).toHaveLength(4);
  });

  it('sends an isolated event at once, then gathers a stream of one-event tasks into one batch per interval', () => {
    const { batcher, sent, runMicro, advance } = paced();
    batcher.setReady();
    batcher.push(msg(1));
    runMicro();
    expect(sent).toHaveLength(1);
    // One event per "task", every 10 ms, for 40 ms: no dispatch until the interval is over.
    for (let i = 2; i <= 4; i++) {
      advance(10);
      batcher.push(msg(i));
      runMicro();
    }
    expect(sent).toHaveLength(1);
    advance(20);
    expect(sent).toHaveLength(2);
    expect(parsePageBatch(sent[1])?.events).toHaveLength(3);
  });

  it('does not wait for the interval once a full batch is queued', () => {
    const { batcher, sent, runMicro } = paced();
    batcher.setReady();
    batcher.push(msg(0));
    runMicro();
    for (let i = 1; i <= 4; i++) batcher.push(msg(i));
    runMicro();
    expect(sent).toHaveLength(2);
    expect(parsePageBatch(sent[1])?.events).toHaveLength(4);
  });
});
