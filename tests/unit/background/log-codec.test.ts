import { describe, expect, it } from 'vitest';
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
});
