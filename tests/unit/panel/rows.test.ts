import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { visibleRows } from '../../../src/panel/model/rows';

describe('rows in view of a fixed-height list', () => {
  it('covers the view plus the overscan, within the list', () => {
    expect(visibleRows(0, 100, 1000, 20, 2)).toEqual({ first: 0, end: 7 });
    expect(visibleRows(200, 100, 1000, 20, 2)).toEqual({ first: 8, end: 17 });
    // At the bottom (a scroll offset past the end is clamped, as the browser does).
    expect(visibleRows(1e9, 100, 1000, 20, 2)).toEqual({ first: 993, end: 1000 });
    expect(visibleRows(0, 100, 0, 20, 2)).toEqual({ first: 0, end: 0 });
    expect(visibleRows(0, 100, 3, 20, 2)).toEqual({ first: 0, end: 3 });
  });

  it('always includes every row that is at least partly visible, and stays within [0, count)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 20 }), (count, top, height, overscan) => {
        const r = visibleRows(top, height, count, 20, overscan);
        expect(r.first).toBeGreaterThanOrEqual(0);
        expect(r.end).toBeLessThanOrEqual(count);
        expect(r.first).toBeLessThanOrEqual(r.end);
        const t = Math.min(top, Math.max(0, count * 20 - height));
        for (let i = Math.floor(t / 20); i < Math.min(count, Math.ceil((t + height) / 20)); i++) {
          expect(i >= r.first && i < r.end).toBe(true);
        }
      }),
    );
  });
});
