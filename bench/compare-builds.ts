/**
 * Development aid (not part of `npm run bench`): the page-overhead scenario
 * without the extension and with two builds, interleaved in one run, so a
 * change is judged side by side on a noisy machine.
 *
 *   npx tsx bench/compare-builds.ts <dir A> <dir B> [runs] [messages]
 */
import { startTestServer } from '../tests/e2e/support/server';
import { median, round } from './lib';
import { once, PAGES, type Sample } from './page-overhead';

const [a, b] = [process.argv[2], process.argv[3]];
if (!a || !b) throw new Error('usage: npx tsx bench/compare-builds.ts <dir A> <dir B> [runs] [messages]');
const runs = Number(process.argv[4] ?? 5);
const count = Number(process.argv[5] ?? 20_000);
const server = await startTestServer({ pagesDir: PAGES });
const samples: Record<'none' | 'A' | 'B', Sample[]> = { none: [], A: [], B: [] };
try {
  for (let i = 0; i < runs; i++) {
    // Rotate the order so no variant always runs first.
    const order = (['none', 'A', 'B'] as const).map((_, k, all) => all[(k + i) % 3] as 'none' | 'A' | 'B');
    for (const which of order) {
      samples[which].push(await once(which === 'none' ? false : which === 'A' ? a : b, server.url, count));
    }
    process.stderr.write(`run ${i + 1}/${runs}\n`);
  }
} finally {
  await server.close();
}
for (const key of ['relayMs', 'bcMs', 'locksMs'] as const) {
  const base = median(samples.none.map((s) => s[key]));
  const ma = median(samples.A.map((s) => s[key]));
  const mb = median(samples.B.map((s) => s[key]));
  console.log(`${key.padEnd(8)} none ${round(base, 1)} ms | A ${round(ma, 1)} ms (×${round(ma / base, 3)}) | B ${round(mb, 1)} ms (×${round(mb / base, 3)})`);
}
const cpuOf = (s: Sample, kind?: string) => (kind ? (s.relayCpu[kind] ?? 0) : Object.values(s.relayCpu).reduce((x, y) => x + y, 0));
for (const kind of [undefined, 'renderer', 'browser', 'extension renderer (worker)']) {
  const m = (list: Sample[]) => round(median(list.map((s) => cpuOf(s, kind))), 0);
  console.log(`relay CPU ${kind ?? 'all'}: none ${m(samples.none)} ms | A ${m(samples.A)} ms | B ${m(samples.B)} ms`);
}
