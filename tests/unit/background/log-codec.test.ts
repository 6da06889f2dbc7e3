import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LogEntry, PageEvent } from '../../../src/shared/protocol';
import { ChunkRows, decodeChunk } from '../../../src/background/log-codec';
import { T0, run, sseUrl, tab } from './fixtures';

const stored = (entries: readonly LogEntry[], split = 0): unknown => {
  const rows = new ChunkRows();
  if (split > 0) {
    rows.add(entries.slice(0, split));
    rows.add(entries.slice(split));
  } else rows.add(entries);
  return JSON.parse(rows.toJSON()) as unknown;
};
/** Equal, keys in the same order. */
const same = (a: unknown, b: unknown) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));

describe('log chunk codec', () => {
  it('gives back what the reducer logs, for every kind, keys in the same order', () => {
    const a = tab(1);
    const url = sseUrl('p');
    const events: PageEvent[] = [
      { kind: 'es:create', t: T0, id: 1, url, withCredentials: false },
      { kind: 'es:open', t: T0 + 1.25, id: 1 },
      { kind: 'es:message', t: T0 + 2, id: 1, type: 'message', preview: 'hi "there"', size: 12, lastEventId: '7' },
      { kind: 'es:state', t: T0 + 3, id: 1, readyState: 0 },
      { kind: 'es:error', t: T0 + 4, id: 1, readyState: 2 },
      { kind: 'es:close', t: T0 + 5, id: 1 },
      { kind: 'fetch:open', t: T0, id: 2, url, method: 'POST', status: 200, headers: {} },
      { kind: 'fetch:message', t: T0 + 1, id: 2, type: 'tick', preview: '', size: 0, lastEventId: '' },
      { kind: 'fetch:end', t: T0 + 2, id: 2, reason: 'abort' },
      { kind: 'bc:create', t: T0, id: 3, name: 'chat-p' },
      { kind: 'bc:post', t: T0, id: 3, size: 1, preview: 'x' },
      { kind: 'bc:receive', t: T0, id: 3, size: 1, preview: 'y' },
      { kind: 'bc:messageerror', t: T0, id: 3 },
      { kind: 'bc:close', t: T0, id: 3 },
      { kind: 'lock:request', t: T0, id: 4, name: 'chat-p', mode: 'exclusive', ifAvailable: true, steal: false },
      { kind: 'lock:granted', t: T0, id: 4 },
      { kind: 'lock:released', t: T0, id: 4 },
      { kind: 'lock:request', t: T0, id: 5, name: 'chat-p', mode: 'shared', ifAvailable: false, steal: false },
      { kind: 'lock:unavailable', t: T0, id: 5 },
      { kind: 'lock:aborted', t: T0, id: 5 },
      { kind: 'hook:role', t: T0, projectKey: 'p', role: 'leader' },
      { kind: 'wrapper:error', t: T0, message: 'off' },
    ];
    const state = run([
      a.hello,
      a.events(T0, ...events),
      {
        kind: 'net:response',
        response: { tabId: 1, url, method: 'GET', status: 429, retryAfterMs: 5000, limit: 5, current: 5, at: T0 + 9, contentType: '' },
      },
      { kind: 'doc:gone', docId: a.docId, t: T0 + 10 },
      a.hello,
    ]);
    const kinds = new Set(state.log.map((e) => e.kind));
    expect(kinds.size).toBe(events.length - 1 + 3); // lock:request twice; plus net:response, doc:gone, doc:restored
    same(decodeChunk(stored(state.log)), state.log);
    same(decodeChunk(stored(state.log, 7)), state.log);
  });

  it('stores an entry it cannot reproduce as it is', () => {
    const entries = [
      { seq: 1, t: 1, tabId: 1, frameId: 0, kind: 'bc:post', ref: 'r', name: 'n', extra: true },
      { t: 1, seq: 2, tabId: 1, frameId: 0, kind: 'bc:post', ref: 'r', name: 'n' },
      { seq: 3, t: 1, tabId: 1, frameId: 0, kind: 'bc:post', ref: 'r', name: 'n', preview: undefined },
      { seq: 4, t: 1, tabId: 1, frameId: 0, kind: 'bc:post', ref: 'r', name: 5 },
      { seq: 5, t: 1, tabId: 1, frameId: 0, kind: 'bc:post', ref: null, name: 'n' },
    ] as unknown as LogEntry[];
    const s = stored(entries) as { rows: unknown[] };
    expect(s.rows.map((r) => Array.isArray(r))).toEqual([false, false, false, false, true]);
    same(decodeChunk(s), entries);
  });

  it('is smaller than the entries as JSON', () => {
    const entries: LogEntry[] = Array.from({ length: 1000 }, (_, i) => ({
      seq: i,
      t: T0 + i,
      tabId: 1,
      frameId: 0,
      kind: 'es:message',
      ref: '1.doc-1.1',
      name: sseUrl('p'),
      type: 'message',
      preview: `{"n":${i}}`,
      size: 8,
      lastEventId: String(i),
    }));
    const rows = new ChunkRows();
    rows.add(entries);
    expect(rows.toJSON().length).toBeLessThan(JSON.stringify(entries).length / 3);
  });

  it('reads the arrays older versions stored, and nothing else', () => {
    const old = [{ seq: 1, t: 1, tabId: 1, frameId: 0, kind: 'es:open', ref: null, name: '' }];
    expect(decodeChunk(old)).toEqual(old);
    expect(decodeChunk(null)).toBeNull();
    expect(decodeChunk('x')).toBeNull();
    expect(decodeChunk({ v: 3, strings: [], rows: [] })).toBeNull();
  });

  it('sequence numbers that follow on and whole-millisecond times are stored short, and come back exact', () => {
    const at = (seq: number, t: number): LogEntry => ({ seq, t, tabId: 1, frameId: 0, kind: 'es:open', ref: null, name: '' });
    const entries = [at(5, T0), at(6, T0 + 3), at(9, T0 + 3.5), at(10, T0 + 4), at(11, T0 - 100), at(12, 0.25), at(13, 7)];
    const s = stored(entries) as { rows: unknown[][] };
    expect(s.rows[1]!.slice(1, 2)).toEqual([3]);
    same(decodeChunk(s), entries);
    same(decodeChunk(stored(entries, 3)), entries);
  });

  it('gives back any entries exactly (property)', () => {
    const kinds = ['es:message', 'bc:post', 'lock:granted', 'net:response'] as const;
    const entryArb = fc.record(
      {
        seqStep: fc.integer({ min: 1, max: 3 }),
        t: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ min: 0, max: 2e12, noNaN: true })),
        tabId: fc.integer({ min: 0, max: 2 ** 31 }),
        frameId: fc.integer({ min: 0, max: 10 }),
        kind: fc.constantFrom(...kinds),
        ref: fc.option(fc.constantFrom('1.a.1', '2.b.7'), { nil: null }),
        name: fc.string(),
        preview: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        size: fc.option(fc.nat(), { nil: undefined }),
        info: fc.option(fc.constantFrom('GET 200', 'exclusive'), { nil: undefined }),
      },
      { requiredKeys: ['seqStep', 't', 'tabId', 'frameId', 'kind', 'ref', 'name'] },
    );
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 40 }), fc.nat(40), (list, split) => {
        let seq = 0;
        const entries = list.map(({ seqStep, ...rest }) => {
          seq += seqStep;
          const e: Record<string, unknown> = { seq };
          for (const [k, v] of Object.entries(rest)) if (v !== undefined) e[k] = v;
          return e as unknown as LogEntry;
        });
        const back = decodeChunk(stored(entries, Math.min(split, entries.length)));
        expect(JSON.stringify(back)).toBe(JSON.stringify(entries));
      }),
    );
  });
});
