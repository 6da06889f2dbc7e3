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

/** Run `a` and `b` alternately `runs` times each (a, b, a, b, ...): both see the same machine noise. */
export async function alternate<T>(runs: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let i = 0; i < runs; i++) {
    // Swap who goes first every other round, so neither always runs warm.
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
