import { afterEach, describe, expect, it } from 'vitest';
import { admit, countMessage, createGate, drainGates, resetGatesForTests, setGateWake, settle, type SourceGate } from '../../../src/content/gate';
import { createBatcher } from '../../../src/content/batcher';
import { parsePageBatch, type PageEvent } from '../../../src/shared/protocol';

type Sent = { count: number; bytes: number; since: number; last: number; lastEventId: string };

function source() {
  const sent: Sent[] = [];
  const gate = createGate((g) => sent.push({ count: g.count, bytes: g.bytes, since: g.since, last: g.last, lastEventId: g.lastEventId }));
  /** One message at `t`: logged (true) or counted. */
  const message = (t: number, rate: number, bytes = 10, id = ''): boolean => {
    if (admit(gate, t, rate)) return true;
    countMessage(gate, t, bytes, id);
    return false;
  };
  return { gate, sent, message };
}

afterEach(() => resetGatesForTests());

describe('message log rate (gate)', () => {
  it('rate 0 logs every message', () => {
    const { message, sent } = source();
    for (let i = 0; i < 10_000; i++) expect(message(1000, 0)).toBe(true);
    drainGates();
    expect(sent).toEqual([]);
  });

  it('logs a burst of up to `rate` at once, counts the rest, and sends one summary of them at the flush', () => {
    const { message, sent } = source();
    const logged = Array.from({ length: 500 }, (_, i) => message(1000, 200, 3, String(i)));
    expect(logged.filter(Boolean)).toHaveLength(200);
    expect(logged.slice(0, 200).every(Boolean)).toBe(true);
    expect(sent).toEqual([]);
    drainGates();
    expect(sent).toEqual([{ count: 300, bytes: 900, since: 1000, last: 1000, lastEventId: '499' }]);
    drainGates();
    expect(sent).toHaveLength(1);
  });

  it('refills at `rate` per second; what it refilled is spent once the summary of the counted ones has gone', () => {
    const { gate, message, sent } = source();
    for (let i = 0; i < 5; i++) message(1000, 5);
    expect(message(1001, 5)).toBe(false);
    settle(gate); // a state change, or the flush
    expect(sent).toEqual([{ count: 1, bytes: 10, since: 1001, last: 1001, lastEventId: '' }]);
    expect(message(1100, 5)).toBe(false); // 0.5 of a token back
    expect(message(1150, 5)).toBe(false);
    drainGates();
    expect(sent).toHaveLength(2);
    expect(message(1201, 5)).toBe(true); // 1.005 tokens
    expect(message(1202, 5)).toBe(false);
    // The bucket never holds more than `rate`.
    drainGates();
    let burst = 0;
    while (message(100_000, 5)) burst++;
    expect(burst).toBe(5);
  });

  it('while a summary is pending, every message of its source joins it; the tokens earned meanwhile are spent after it went', () => {
    const { message, sent } = source();
    for (let i = 0; i < 10; i++) expect(message(1000, 10)).toBe(true);
    expect(message(1000, 10)).toBe(false); // the first counted: a summary is pending from here
    // 150 ms later 1.5 tokens have come back, but the summary has not gone yet: counted, not logged.
    expect(message(1150, 10, 10, 'a')).toBe(false);
    expect(message(1190, 10, 10, 'b')).toBe(false);
    expect(sent).toEqual([]);
    drainGates(); // the flush
    expect(sent).toEqual([{ count: 3, bytes: 30, since: 1000, last: 1190, lastEventId: 'b' }]);
    // Then a run: 1.9 tokens earned from 1000 to 1190, 0.1 more by 1200.
    expect(message(1200, 10)).toBe(true);
    expect(message(1200, 10)).toBe(true);
    expect(message(1200, 10)).toBe(false);
    // The rate set to 0 (log everything) while a summary is pending: the summary goes first, then the message is logged.
    expect(message(1210, 10, 10, 'c')).toBe(false);
    expect(message(1220, 0)).toBe(true);
    expect(sent[1]).toEqual({ count: 2, bytes: 20, since: 1200, last: 1210, lastEventId: 'c' });
  });

  it('a flood logs runs between summaries: about one summary per flush, not one per logged message', () => {
    const { message, sent } = source();
    let logged = 0;
    let kinds = '';
    // 10 messages a millisecond for 1 s at rate 200, a flush every 200 ms.
    for (let t = 0; t < 1000; t++) {
      for (let k = 0; k < 10; k++) {
        const before = sent.length;
        const isLogged = message(10_000 + t, 200);
        if (sent.length > before) kinds += 'S';
        if (isLogged) {
          logged++;
          kinds += 'L';
        }
      }
      if (t % 200 === 199) {
        const before = sent.length;
        drainGates();
        if (sent.length > before) kinds += 'S';
      }
    }
    // The burst (and what came back during it), then 200 a second from the bucket's emptying (20 ms) to the last flush's run (800 ms).
    expect(logged).toBeGreaterThanOrEqual(200 + 150);
    expect(logged).toBeLessThanOrEqual(204 + 160);
    // One summary per flush (5), each after a run of logged messages: the
    // first run has the 180 ms since the bucket emptied, the others 200 ms.
    expect(sent).toHaveLength(5);
    expect(kinds).toMatch(/^L{200,204}S(L{36,40}S){4}$/);
  });

  it('a steady stream above the rate logs about `rate` a second and counts all the others', () => {
    const { message, sent } = source();
    let logged = 0;
    let total = 0;
    for (let t = 0; t < 10_000; t++) {
      // 15 messages a millisecond for 10 s: 150,000 messages.
      for (let k = 0; k < 15; k++, total++) if (message(5000 + t, 200)) logged++;
      if (t % 50 === 0) drainGates();
    }
    drainGates();
    const counted = sent.reduce((n, s) => n + s.count, 0);
    expect(logged + counted).toBe(total);
    expect(logged).toBeGreaterThanOrEqual(200 + 199 * 10 - 10);
    expect(logged).toBeLessThanOrEqual(200 + 200 * 10 + 1);
  });

  it('wakes the batcher once per pending summary, and settle() sends it early (before a state change)', () => {
    let wakes = 0;
    setGateWake(() => wakes++);
    const { gate, message, sent } = source();
    message(1000, 1);
    message(1000, 1);
    message(1001, 1);
    expect(wakes).toBe(1);
    settle(gate);
    expect(sent).toEqual([{ count: 2, bytes: 20, since: 1000, last: 1001, lastEventId: '' }]);
    message(1002, 1);
    // Still listed for the next drain: no second wake until drained.
    expect(wakes).toBe(1);
    drainGates();
    expect(sent).toHaveLength(2);
    message(1003, 1);
    expect(wakes).toBe(2);
  });

  it('a lower rate takes effect at once; a clock that goes back does not refill', () => {
    const { message } = source();
    expect(message(1000, 100)).toBe(true); // 99 left
    let more = 0;
    while (message(1000, 10)) more++;
    expect(more).toBe(10);
    expect(message(500, 10)).toBe(false);
  });

  it('never reaches a setter a page put on Array.prototype or Object.prototype', () => {
    let touched = 0;
    for (const proto of [Array.prototype, Object.prototype]) {
      Object.defineProperty(proto, '0', { set: () => void touched++, get: () => undefined, configurable: true });
    }
    let summaries = 0;
    try {
      // Not the `source()` helper: pushing to its array would reach the setter itself.
      const gate = createGate(() => void summaries++);
      for (let i = 0; i < 3; i++) if (!admit(gate, 1000, 1)) countMessage(gate, 1000, 1, '');
      drainGates();
    } finally {
      delete (Array.prototype as unknown as Record<string, unknown>)['0'];
      delete (Object.prototype as unknown as Record<string, unknown>)['0'];
    }
    expect(touched).toBe(0);
    expect(summaries).toBe(1);
  });

  it('gates are independent', () => {
    const a = source();
    const b = source();
    expect(a.message(1000, 1)).toBe(true);
    expect(a.message(1000, 1)).toBe(false);
    expect(b.message(1000, 1)).toBe(true);
    drainGates();
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(0);
  });

  it('with the batcher: summaries pushed by beforeFlush go out in that flush, after the events before them', () => {
    const sentBatches: string[] = [];
    const pending: (() => void)[] = [];
    let gate: SourceGate | null = null;
    const batcher = createBatcher({
      dispatch: (json) => sentBatches.push(json),
      schedule: (f) => pending.push(f),
      beforeFlush: drainGates,
    });
    setGateWake(() => batcher.wake());
    gate = createGate((g) => batcher.push({ kind: 'bc:post-summary', t: g.last, id: 1, count: g.count, since: g.since }));
    batcher.setReady();
    const post = (t: number, n: number): PageEvent => ({ kind: 'bc:post', t, id: 1, size: 1, preview: String(n) });
    for (let n = 0; n < 5; n++) {
      if (admit(gate, 1000, 2)) batcher.push(post(1000, n));
      else countMessage(gate, 1000, 0, '');
    }
    expect(pending.length).toBeGreaterThan(0);
    while (pending.length) pending.shift()?.();
    const events = sentBatches.flatMap((json) => parsePageBatch(json)?.events ?? []);
    expect(events.map((e) => e.kind)).toEqual(['bc:post', 'bc:post', 'bc:post-summary']);
    expect(events[2]).toMatchObject({ count: 3, since: 1000, t: 1000 });
    // Nothing else was scheduled for the summary itself.
    expect(pending).toEqual([]);
  });

  it('a summary alone (every message counted) still gets flushed: wake schedules it', () => {
    const sentBatches: string[] = [];
    const pending: (() => void)[] = [];
    const batcher = createBatcher({ dispatch: (json) => sentBatches.push(json), schedule: (f) => pending.push(f), beforeFlush: drainGates });
    setGateWake(() => batcher.wake());
    const gate = createGate((g) => batcher.push({ kind: 'bc:receive-summary', t: g.last, id: 7, count: g.count, since: g.since }));
    batcher.setReady();
    gate.tokens = 0;
    gate.at = 1000;
    expect(admit(gate, 1000, 5)).toBe(false);
    countMessage(gate, 1000, 0, '');
    expect(pending).toHaveLength(1);
    pending.shift()?.();
    expect(parsePageBatch(sentBatches[0]!)?.events).toEqual([{ kind: 'bc:receive-summary', t: 1000, id: 7, count: 1, since: 1000 }]);
  });
});
