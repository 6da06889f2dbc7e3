import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendLog, emptyLogView, entryAt, logEntries, logSize, prependLog, replaceLog } from '../../../src/panel/model/log-view';
import { entry, resetSeq } from './fixtures';

beforeEach(resetSeq);

const batch = (n: number) => Array.from({ length: n }, () => entry('es:message'));

describe('log view', () => {
  it('appends in order and reads entries by absolute position', () => {
    const a = batch(3);
    const v = appendLog(emptyLogView(), a, 100);
    expect(logSize(v)).toBe(3);
    expect(entryAt(v, 0)).toBe(a[0]);
    expect(entryAt(v, 3)).toBeUndefined();
    expect(logEntries(v).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('keeps only the newest `limit` entries, positions staying absolute', () => {
    let v = emptyLogView();
    for (let i = 0; i < 10; i++) v = appendLog(v, batch(1000), 2500);
    expect(logSize(v)).toBe(2500);
    expect(v.start).toBe(7500);
    expect(entryAt(v, 7500)?.seq).toBe(7501);
    expect(entryAt(v, 7499)).toBeUndefined();
    // Evicted entries are dropped from memory once they are many.
    expect(v.arr.length).toBeLessThan(5000);
  });

  it('an older view keeps showing what it showed after later appends (paused log)', () => {
    const first = appendLog(emptyLogView(), batch(3), 100);
    const later = appendLog(first, batch(2), 100);
    expect(logSize(first)).toBe(3);
    expect(logEntries(first).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(logSize(later)).toBe(5);
    // Appending to the older view again branches off instead of overwriting.
    const branch = appendLog(first, batch(1), 100);
    expect(logEntries(branch).map((e) => e.seq)).toEqual([1, 2, 3, 6]);
    expect(logEntries(later).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('replacing the log starts a new epoch', () => {
    const v = appendLog(emptyLogView(), batch(3), 100);
    const r = replaceLog(v, batch(5), 4);
    expect(r.epoch).toBe(v.epoch + 1);
    expect(logEntries(r).map((e) => e.seq)).toEqual([5, 6, 7, 8]);
  });

  it('older entries go in front without moving the positions of the others; older views are untouched', () => {
    const older = batch(4);
    const newest = batch(3);
    const head = replaceLog(emptyLogView(), newest, 100, 4);
    expect([head.start, head.end]).toEqual([4, 7]);
    const whole = prependLog(head, older, 100);
    expect(logEntries(whole).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(entryAt(whole, 4)).toBe(entryAt(head, 4));
    expect(whole.epoch).toBe(head.epoch);
    expect(logEntries(head).map((e) => e.seq)).toEqual([5, 6, 7]);
    // Appending to either keeps each one right.
    expect(logEntries(appendLog(whole, batch(1), 100)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(logEntries(appendLog(head, batch(1), 100)).map((e) => e.seq)).toEqual([5, 6, 7, 9]);
  });

  it('with room left in front, older entries are written in place; a view that was prepended to already is not written over', () => {
    const head = replaceLog(emptyLogView(), batch(2), 100, 6, 6);
    const a = prependLog(head, batch(3), 100);
    expect(a.arr).toBe(head.arr);
    const b = prependLog(a, batch(3), 100);
    expect(b.arr).toBe(head.arr);
    expect(logEntries(b).map((e) => e.seq)).toEqual([6, 7, 8, 3, 4, 5, 1, 2]);
    expect(logEntries(a).map((e) => e.seq)).toEqual([3, 4, 5, 1, 2]);
    // Prepending to `head` again would write where `a` and `b` look: it copies instead.
    const branch = prependLog(head, batch(1), 100);
    expect(branch.arr).not.toBe(head.arr);
    expect(logEntries(branch).map((e) => e.seq)).toEqual([9, 1, 2]);
    expect(logEntries(b).map((e) => e.seq)).toEqual([6, 7, 8, 3, 4, 5, 1, 2]);
    // Appending keeps the room (it is not evicted entries).
    const grown = appendLog(replaceLog(emptyLogView(), batch(1), 4000, 5000, 5000), batch(1), 4000);
    expect(grown.start - grown.offset).toBe(3999);
  });

  it('prepends only what fits under the limit (the newest of the older entries)', () => {
    const head = replaceLog(emptyLogView(), batch(3), 5, 10);
    const v = prependLog(head, batch(4), 5);
    expect(logEntries(v).map((e) => e.seq)).toEqual([6, 7, 1, 2, 3]);
    expect(prependLog(v, batch(2), 5)).toBe(v);
  });

  it('matches a plain array model for any sequence of appends', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 40 }), fc.integer({ min: 1, max: 60 }), (sizes, limit) => {
        resetSeq();
        let v = emptyLogView();
        let model: number[] = [];
        for (const n of sizes) {
          const b = batch(n);
          v = appendLog(v, b, limit);
          model = model.concat(b.map((e) => e.seq)).slice(-limit);
        }
        expect(logEntries(v).map((e) => e.seq)).toEqual(model);
      }),
    );
  });
});
