import { describe, expect, it } from 'vitest';
import { againstTarget, median, medianInterval, ratioInterval, verdict } from '../../../bench/lib';

const runs = (xs: number[]) => xs.map((x) => [x]);

describe('ratioInterval (paired bootstrap over runs)', () => {
  it('is a point when every run has the same ratio', () => {
    const base = runs([100, 130, 90, 160, 110]);
    const value = runs([110, 143, 99, 176, 121]);
    const [low, high] = ratioInterval(base, value) as [number, number];
    expect(low).toBeCloseTo(1.1, 9);
    expect(high).toBeCloseTo(1.1, 9);
  });

  it('pairs the runs: a machine that slows both sides of a run does not widen it', () => {
    // Each run is 10 % slower with the extension, but the runs themselves differ by 2x.
    const base = runs([100, 200, 100, 200, 100, 200, 100, 200, 100]);
    const value = base.map(([x]) => [(x as number) * 1.1]);
    const paired = ratioInterval(base, value) as [number, number];
    expect(paired[1] - paired[0]).toBeLessThan(1e-9);
    // Unpaired (the value runs in another order) the same figures would give a wide interval.
    const shuffled = [...value.slice(1), value[0] as number[]];
    const unpaired = ratioInterval(base, shuffled) as [number, number];
    expect(unpaired[1] - unpaired[0]).toBeGreaterThan(0.5);
  });

  it('contains the ratio of the medians, is reproducible, and pools the observations of a run', () => {
    const base = [[1300, 1100, 1200], [1500, 1250, 1190], [1050, 1400, 1320], [1280, 1330, 1210], [1100, 1240, 1700]];
    const value = [[1400, 1300, 1250], [1380, 1500, 1290], [1250, 1600, 1390], [1410, 1350, 1330], [1260, 1520, 1900]];
    const interval = ratioInterval(base, value) as [number, number];
    const ratio = median(value.flat()) / median(base.flat());
    expect(interval[0]).toBeLessThanOrEqual(ratio);
    expect(interval[1]).toBeGreaterThanOrEqual(ratio);
    expect(interval[0]).toBeLessThan(interval[1]);
    expect(ratioInterval(base, value)).toEqual(interval);
  });

  it('gives no interval for fewer than 3 runs', () => {
    expect(ratioInterval(runs([1, 2]), runs([1, 2]))).toBeNull();
  });
});

describe('verdict', () => {
  it('is met only when the whole interval is at or under the limit, missed only when all of it is over', () => {
    expect(verdict([1.02, 1.1], 1.1)).toBe('met');
    expect(verdict([1.05, 1.12], 1.1)).toBe('within the noise');
    expect(verdict([1.11, 1.3], 1.1)).toBe('missed');
    expect(verdict(null, 1.1)).toBeUndefined();
  });
});

describe('medianInterval', () => {
  it('is a point for identical runs, holds the median otherwise, and needs 3 runs', () => {
    expect(medianInterval([5, 5, 5, 5, 5])).toEqual([5, 5]);
    const xs = [120, 141, 133, 209, 117];
    const [low, high] = medianInterval(xs) as [number, number];
    expect(low).toBeLessThanOrEqual(median(xs));
    expect(high).toBeGreaterThanOrEqual(median(xs));
    expect(low).toBeGreaterThanOrEqual(117);
    expect(high).toBeLessThanOrEqual(209);
    expect(medianInterval([1, 2])).toBeNull();
  });
});

describe('againstTarget', () => {
  it('gives value / target, its interval and the verdict against 1', () => {
    expect(againstTarget([130, 117, 141, 120, 133], 200)).toEqual({ ratio: 0.65, interval: expect.any(Array), verdict: 'met' });
    const { interval } = againstTarget([130, 117, 141, 120, 133], 200);
    expect((interval as [number, number])[0]).toBeGreaterThanOrEqual(0.58);
    expect((interval as [number, number])[1]).toBeLessThanOrEqual(0.71);
    expect(againstTarget([230, 217, 241, 220, 233], 200).verdict).toBe('missed');
    expect(againstTarget([150, 217, 241, 180, 233], 200).verdict).toBe('within the noise');
    expect(againstTarget([5, 6], 64)).toEqual({ ratio: 0.09 });
  });
});
