/** Small helpers shared by the benchmarks. */
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
  target?: string;
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
