import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileFilter, compileText, EMPTY_FILTER, findInIndex, indexSize, matchAt, updateIndex, type FilterInput } from '../../../src/panel/model/filter';
import { appendLog, emptyLogView, entryAt, logEntries, prependLog, replaceLog } from '../../../src/panel/model/log-view';
import type { LogEntry } from '../../../src/shared/protocol';
import { entry, message, resetSeq } from './fixtures';

beforeEach(resetSeq);

function compiled(input: Partial<FilterInput>) {
  const r = compileFilter({ ...EMPTY_FILTER, ...input });
  if (!r.ok) throw new Error(r.error);
  return r.filter;
}

const sample = (): LogEntry[] => [
  message('{"n":1,"text":"hello"}', { lastEventId: '1' }),
  message('{"n":2,"text":"world"}', { tabId: 2, ref: '2.conn.1' }),
  entry('bc:post', { name: 'chat:p1', ref: '1.ch.1', preview: '{"type":"msg"}', size: 14 }),
  entry('bc:receive', { name: 'chat:p2', ref: '1.ch.2', preview: 'ping', size: 4 }),
  entry('net:response', { name: 'http://app.test/sse?projectId=p1', status: 429, info: 'GET · 429 · retry after 10 s' }),
  entry('lock:request', { name: 'chat:p1', info: 'exclusive' }),
  entry('doc:gone', { name: 'http://app.test/' }),
];

const seqs = (input: Partial<FilterInput>) => {
  resetSeq();
  return sample().filter(compiled(input).test).map((e) => e.seq);
};

describe('compiling the filter text', () => {
  it('reports a bad regular expression as an error, not an exception', () => {
    const r = compileText('(unclosed', true);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/invalid regular expression/);
    expect(compileFilter({ ...EMPTY_FILTER, text: '[z-a]', regex: true }).ok).toBe(false);
  });

  it('treats text as a literal, case-insensitive substring unless regex is on', () => {
    const plain = compileText('A.B', false);
    expect(plain.ok && plain.match?.('xa.by')).toBe(true);
    expect(plain.ok && plain.match?.('xaxby')).toBe(false);
    const re = compileText('a.b', true);
    expect(re.ok && re.match?.('AXB')).toBe(true);
  });

  it('refuses a pattern that is too long', () => {
    expect(compileText('x'.repeat(5000), true).ok).toBe(false);
  });
});

describe('the filter predicate', () => {
  it('filters by kind group and by one kind', () => {
    expect(seqs({ kind: 'messages' })).toEqual([1, 2]);
    expect(seqs({ kind: 'bc' })).toEqual([3, 4]);
    expect(seqs({ kind: 'net:response' })).toEqual([5]);
    expect(seqs({ kind: 'lock' })).toEqual([6]);
  });

  it('filters by connection and by channel name', () => {
    expect(seqs({ connectionId: '2.conn.1' })).toEqual([2]);
    expect(seqs({ channel: 'chat:p1' })).toEqual([3]);
  });

  it('searches name, data, type, details and status; regex too', () => {
    expect(seqs({ text: 'WORLD' })).toEqual([2]);
    expect(seqs({ text: '429' })).toEqual([5]);
    expect(seqs({ text: '"n":\\d', regex: true })).toEqual([1, 2]);
    expect(seqs({ text: '^chat:p\\d$', regex: true })).toEqual([3, 4, 6]);
  });

  it('limits to one tab and hides what came before its last navigation', () => {
    expect(seqs({ tabId: 2 })).toEqual([2]);
    expect(seqs({ tabId: 1, hideUpToSeq: 4 })).toEqual([5, 6, 7]);
  });

  it('combines conditions', () => {
    expect(seqs({ kind: 'messages', tabId: 1, text: 'hello' })).toEqual([1]);
  });
});

describe('the incremental index', () => {
  it('scans only new entries while the filter is unchanged', () => {
    const f = compiled({ kind: 'messages' });
    let view = appendLog(emptyLogView(), sample(), 1000);
    const first = updateIndex(null, view, f);
    expect(indexSize(first)).toBe(2);
    view = appendLog(view, [message('x'), entry('bc:post')], 1000);
    const second = updateIndex(first, view, f);
    expect(second.scannedTo).toBe(9);
    expect(indexSize(second)).toBe(3);
    // The first index still means what it meant.
    expect(indexSize(first)).toBe(2);
    expect(entryAt(view, matchAt(second, 2)!)?.kind).toBe('es:message');
  });

  it('rescans when the filter or the log is replaced', () => {
    const view = appendLog(emptyLogView(), sample(), 1000);
    const a = updateIndex(null, view, compiled({ kind: 'messages' }));
    const b = updateIndex(a, view, compiled({ kind: 'bc' }));
    expect(indexSize(b)).toBe(2);
    const replaced = replaceLog(view, [message('only')], 1000);
    const c = updateIndex(b, replaced, b.filter);
    expect(indexSize(c)).toBe(0);
  });

  it('equals a full scan for any appends, evictions and filters', () => {
    const kinds = ['es:message', 'bc:post', 'net:response', 'lock:request'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.record({ kind: fc.constantFrom(...kinds), tabId: fc.integer({ min: 1, max: 3 }), preview: fc.string({ maxLength: 6 }) }), { maxLength: 30 }), { maxLength: 15 }),
        fc.integer({ min: 5, max: 80 }),
        fc.record({ kind: fc.constantFrom('', 'messages', 'bc'), text: fc.constantFrom('', 'a', 'b'), tabId: fc.constantFrom(null, 1, 2) }),
        (batches, limit, input) => {
          resetSeq();
          const f = compiled(input);
          let view = emptyLogView();
          let index = null;
          for (const b of batches) {
            view = appendLog(view, b.map((x) => entry(x.kind, x)), limit);
            index = updateIndex(index, view, f);
          }
          const expected = logEntries(view).filter(f.test).map((e) => e.seq);
          const got = index ? Array.from({ length: indexSize(index) }, (_, i) => entryAt(view, matchAt(index, i)!)?.seq) : [];
          expect(got).toEqual(expected);
        },
      ),
    );
  });
});

describe('an index while older entries load in front', () => {
  it('equals a full scan for any mix of older chunks in front and new entries behind, and never rescans', () => {
    const kinds = ['es:message', 'bc:post', 'net:response'] as const;
    const item = fc.record({ kind: fc.constantFrom(...kinds), tabId: fc.integer({ min: 1, max: 2 }), preview: fc.string({ maxLength: 4 }) });
    fc.assert(
      fc.property(
        fc.array(fc.record({ front: fc.boolean(), items: fc.array(item, { maxLength: 12 }) }), { maxLength: 12 }),
        fc.record({ kind: fc.constantFrom('', 'messages'), text: fc.constantFrom('', 'a'), tabId: fc.constantFrom(null, 1) }),
        fc.boolean(),
        fc.integer({ min: 5, max: 200 }),
        (steps, input, room, limit) => {
          resetSeq();
          const f = compiled(input);
          // Sequence numbers only order entries here: older chunks get smaller ones than anything before them.
          let low = 0;
          let high = 1_000_000;
          // With room in front (older entries written in place) or without (copied).
          let view = replaceLog(emptyLogView(), [], limit, 500, room ? 500 : 0);
          let index = updateIndex(null, view, f);
          let prepended = 0;
          let evicted = false;
          for (const step of steps) {
            if (step.front) {
              const chunk = step.items.map((x) => entry(x.kind, x));
              chunk.forEach((e, i) => (e.seq = low - chunk.length + i));
              low -= chunk.length;
              const before = view;
              view = prependLog(view, chunk, limit);
              const added = before.start - view.start;
              prepended += chunk.slice(chunk.length - added).filter(f.test).length;
            } else {
              const before = view;
              view = appendLog(view, step.items.map((x) => ({ ...entry(x.kind, x), seq: high++ })), limit);
              if (view.start > before.start) evicted = true;
            }
            index = updateIndex(index, view, f);
          }
          const expected = logEntries(view).filter(f.test).map((e) => e.seq);
          const got = Array.from({ length: indexSize(index) }, (_, i) => entryAt(view, matchAt(index, i)!)?.seq);
          expect(got).toEqual(expected);
          // Without evictions (which may leave nothing scanned to build on) the front only grew.
          if (!evicted) expect(index.prepended).toBe(prepended);
        },
      ),
    );
  });
});

describe('finding a selected entry', () => {
  it('finds an entry of the index by sequence number, or says it is not there', () => {
    const view = appendLog(emptyLogView(), sample(), 1000);
    const index = updateIndex(null, view, compiled({ kind: 'bc' }));
    const at = (pos: number) => entryAt(view, pos);
    expect(findInIndex(index, at, 4)).toMatchObject({ i: 1, entry: { seq: 4, kind: 'bc:receive' } });
    expect(findInIndex(index, at, 3)?.i).toBe(0);
    expect(findInIndex(index, at, 1)).toBeNull();
    expect(findInIndex(index, at, 99)).toBeNull();
  });
});
