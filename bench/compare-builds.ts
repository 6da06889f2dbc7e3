/**
 * Development aid (not part of `npm run bench`): the page-overhead scenario
 * without the extension and with one or more builds, interleaved in one run,
 * so a change is judged side by side on a noisy machine.
 *
 *   npx tsx bench/compare-builds.ts <dir A> [dir B ...] [--runs N] [--messages N] [--settings JSON]
 *
 * Each run relays BENCH_RELAYS times (default 3) in its browser; `relay ms`
 * is the median of them all, `relay 1st ms` of the first of each run.
 * `--messages 0` runs the micro pages only (1,000 BroadcastChannel posts,
 * 1,000 Web Lock requests); `--settings '{"messageLogRate":0}'` sets the
 * extension's settings in every build before the pages open. (The older form
 * `<dir A> <dir B> [runs] [messages]` still works.)
 */
import { startTestServer } from '../tests/e2e/support/server';
import { median, ratioInterval, round } from './lib';
import { once, PAGES, type Sample } from './page-overhead';

const args = process.argv.slice(2);
const dirs: string[] = [];
let runs = 5;
let count = 20_000;
let settings: Record<string, unknown> | undefined;
const numbers: number[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  if (arg === '--runs') runs = Number(args[++i]);
  else if (arg === '--messages') count = Number(args[++i]);
  else if (arg === '--settings') settings = JSON.parse(args[++i] ?? '{}') as Record<string, unknown>;
  else if (/^\d+$/.test(arg)) numbers.push(Number(arg));
  else dirs.push(arg);
}
if (numbers[0] !== undefined) runs = numbers[0];
if (numbers[1] !== undefined) count = numbers[1];
if (dirs.length === 0) throw new Error('usage: npx tsx bench/compare-builds.ts <dir A> [dir B ...] [--runs N] [--messages N]');

const variants: (false | string)[] = [false, ...dirs];
const names = ['none', ...dirs.map((d, i) => `${String.fromCharCode(65 + i)} (${d})`)];
const samples: Sample[][] = variants.map(() => []);
const server = await startTestServer({ pagesDir: PAGES });
try {
  for (let i = 0; i < runs; i++) {
    // Rotate the order so no variant always runs first.
    for (let k = 0; k < variants.length; k++) {
      const v = (k + i) % variants.length;
      (samples[v] as Sample[]).push(await once(variants[v] as false | string, server.url, count, settings));
    }
    // Each run's relay times, so a bimodal spread shows (medians alone hide it).
    process.stderr.write(`run ${i + 1}/${runs}: relays ms ${samples.map((list, v) => `${names[v]} ${(list[i] as Sample).relaysMs.map((ms) => round(ms, 0)).join('/')}`).join(', ')}\n`);
  }
} finally {
  await server.close();
}
const cpuOf = (s: Sample, kind?: string) => (kind ? (s.relayCpu[kind] ?? 0) : Object.values(s.relayCpu).reduce((x, y) => x + y, 0));
const columns: [string, (s: Sample) => number][] = [
  ['relay 1st ms', (s) => s.relayMs],
  ['bc ms', (s) => s.bcMs],
  ['locks ms', (s) => s.locksMs],
  ['bc warm ms', (s) => s.bcWarmMs],
  ['locks warm ms', (s) => s.locksWarmMs],
  ['page start ms', (s) => s.startMs],
  ['bc CPU', (s) => s.bcCpuMs],
  ['bc CPU renderers', (s) => s.bcCpu['renderer'] ?? 0],
  ['bc CPU browser', (s) => s.bcCpu['browser'] ?? 0],
  ['bc CPU worker', (s) => s.bcCpu['extension renderer (worker)'] ?? 0],
  ['locks CPU', (s) => s.locksCpuMs],
  ['CPU all', (s) => cpuOf(s)],
  ['CPU renderers', (s) => cpuOf(s, 'renderer')],
  ['CPU browser', (s) => cpuOf(s, 'browser')],
  ['CPU worker', (s) => cpuOf(s, 'extension renderer (worker)')],
];
/** The ratio's 95 % interval over the runs (paired, as in npm run bench). */
function span(base: number[][], value: number[][]): string {
  const interval = ratioInterval(base, value);
  return interval ? `, ${round(interval[0], 3)}–${round(interval[1], 3)}` : '';
}
console.log(`medians of ${runs} runs, ${count} relayed messages${settings ? `, settings ${JSON.stringify(settings)}` : ''}; (×) = ratio to none, with its 95 % interval over the runs`);
// Every relay of every run (runs × relays per run), then the per-run columns.
{
  const base = median((samples[0] as Sample[]).flatMap((x) => x.relaysMs));
  const cells = samples.map((list, v) => {
    const m = median(list.flatMap((x) => x.relaysMs));
    return v === 0 || base === 0 ? `${names[v]} ${round(m, 1)}` : `${names[v]} ${round(m, 1)} (×${round(m / base, 3)}${span((samples[0] as Sample[]).map((x) => x.relaysMs), list.map((x) => x.relaysMs))})`;
  });
  console.log(`${'relay ms'.padEnd(14)} ${cells.join(' | ')}`);
}
for (const [title, f] of columns) {
  const base = median((samples[0] as Sample[]).map(f));
  const cells = samples.map((list, v) => {
    const m = median(list.map(f));
    return v === 0 || base === 0 ? `${names[v]} ${round(m, 1)}` : `${names[v]} ${round(m, 1)} (×${round(m / base, 3)}${span((samples[0] as Sample[]).map((x) => [f(x)]), list.map((x) => [f(x)]))})`;
  });
  console.log(`${title.padEnd(14)} ${cells.join(' | ')}`);
}
