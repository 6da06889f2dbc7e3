/** Small helpers shared by the benchmarks. */
import { prng } from '../tests/sim/kernel';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Row {
  benchmark: string;
  metric: string;
  /** Measured value (median). */
  value: number;
  unit: string;
  /** Side-by-side baseline (median), when the figure is a comparison. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
  /**
   * The ratio's 95 % interval over the runs: `ratioInterval` where there is
   * a baseline, `medianInterval` / target where the ratio is value / target.
   */
  interval?: [number, number];
  target?: string;
  /** The target judged with the interval (`verdict`): met, missed, or within the noise. */
  verdict?: string;
  runs: number;
  note?: string;
}

/**
 * Run each of `variants` once per round, `runs` rounds, starting each round
 * one variant further (a b c, b c a, c a b, ...): all see the same machine
 * noise and none always runs first. Results per variant, in run order.
 */
export async function rotate<T>(runs: number, variants: readonly (() => Promise<T>)[]): Promise<T[][]> {
  const out: T[][] = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (k + i) % variants.length;
      (out[v] as T[]).push(await (variants[v] as () => Promise<T>)());
    }
  }
  return out;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * How far the ratio median(value) / median(baseline) can be trusted: a
 * percentile bootstrap over the runs. Each run is a list of observations
 * (one, or several relays); `baseline[i]` and `value[i]` ran side by side in
 * run i, so a resample draws run indices and takes both sides of each drawn
 * run (paired: a slow spell of the machine moves both). Returns the
 * `level` interval [low, high], or null with fewer than 3 runs. Seeded, so
 * the same figures give the same interval.
 */
export function ratioInterval(baseline: number[][], value: number[][], level = 0.95, resamples = 4000, seed = 7): [number, number] | null {
  const n = Math.min(baseline.length, value.length);
  if (n < 3) return null;
  const random = prng(seed);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const b: number[] = [];
    const v: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = Math.floor(random() * n);
      b.push(...(baseline[i] as number[]));
      v.push(...(value[i] as number[]));
    }
    const base = median(b);
    if (base > 0) ratios.push(median(v) / base);
  }
  return percentiles(ratios, level);
}

/** The central `level` share of `stats` (a percentile interval), or null when empty. */
function percentiles(stats: number[], level: number): [number, number] | null {
  if (stats.length === 0) return null;
  const sorted = [...stats].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))] as number;
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}

/**
 * The same for a figure with a fixed target and no baseline (the panel's
 * times, the worker's heap): the `level` interval of median(values) over
 * the runs, or null with fewer than 3 runs.
 */
export function medianInterval(values: number[], level = 0.95, resamples = 4000, seed = 7): [number, number] | null {
  if (values.length < 3) return null;
  const random = prng(seed);
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const pick: number[] = [];
    for (let k = 0; k < values.length; k++) pick.push(values[Math.floor(random() * values.length)] as number);
    medians.push(median(pick));
  }
  return percentiles(medians, level);
}

/** A row's `interval` field: the interval rounded to `digits`, or nothing. */
export function intervalField(interval: [number, number] | null, digits: number): Pick<Row, 'interval'> {
  return interval ? { interval: [round(interval[0], digits), round(interval[1], digits)] } : {};
}

/**
 * A figure with a fixed target and no baseline, as a row's ratio fields:
 * median(values) / target, the interval of that over the runs, and the
 * verdict against 1.
 */
export function againstTarget(values: number[], target: number): Pick<Row, 'ratio' | 'interval' | 'verdict'> {
  const interval = medianInterval(values);
  const field = intervalField(interval && [interval[0] / target, interval[1] / target], 2);
  const judged = verdict(field.interval ?? null, 1);
  return { ratio: round(median(values) / target, 2), ...field, ...(judged ? { verdict: judged } : {}) };
}

/**
 * A target of at most `limit` (a ratio, or value / target) judged with the
 * ratio's interval: met when the whole interval is at or under it, missed
 * when the whole interval is over it, and otherwise not decided by this run
 * (the noise spans the target).
 */
export function verdict(interval: [number, number] | null, limit: number): 'met' | 'missed' | 'within the noise' | undefined {
  if (!interval) return undefined;
  if (interval[1] <= limit) return 'met';
  if (interval[0] > limit) return 'missed';
  return 'within the noise';
}
