/**
 * `npm run bench`: runs every benchmark, prints a table, writes
 * bench/results.json and the Performance table in README.md (between the
 * bench markers). Nothing here runs in `npm test`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, round, type Row } from './lib';
import { pageOverhead } from './page-overhead';
import { ingest } from './ingest';
import { demoServer } from './demo-server';
import { panelBench } from './panel';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function table(rows: Row[]): string {
  const head =
    '| benchmark | metric | value | baseline (side by side) | ratio | ratio, 95 % interval | target | verdict | runs | notes |\n|---|---|---|---|---|---|---|---|---|---|';
  // A cell must not contain a pipe or a line break.
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const body = rows.map((r) =>
    `| ${r.benchmark} | ${cell(r.metric)} | ${r.value} ${r.unit} | ${r.baseline === undefined ? '—' : `${r.baseline} ${r.unit}`} | ${r.ratio ?? '—'} | ${r.interval ? `${r.interval[0]}–${r.interval[1]}` : '—'} | ${cell(r.target ?? '')} | ${r.verdict ?? ''} | ${r.runs} | ${cell(r.note ?? '')} |`,
  );
  return [head, ...body].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  // Page overhead is the noisiest (two cores shared by every process of the
  // browser; a run's figure moves by 10-30 % from one browser to the next):
  // more runs for its medians, 9 unless BENCH_PAGE_RUNS says otherwise.
  const pageRuns = Number(process.env.BENCH_PAGE_RUNS ?? Math.max(runs, 9));
  const suites: [string, () => Promise<Row[]>][] = [
    ['page', () => pageOverhead(pageRuns)],
    ['ingest', () => ingest(runs, Number(process.env.BENCH_INGEST_EVENTS ?? 1_000_000))],
    ['panel', () => panelBench(runs)],
    ['server', () => demoServer(runs)],
  ];
  const rows: Row[] = [];
  // The machine's load when the run started: other work competes for the
  // cores, which is why every figure is compared side by side.
  const loadBefore = os.loadavg()[0] ?? 0;
  for (const [name, fn] of suites) {
    if (only.length > 0 && !only.includes(name)) continue;
    log(`running ${name}`);
    rows.push(...(await fn()));
  }
  const load = { before: round(loadBefore, 2), after: round(os.loadavg()[0] ?? 0, 2) };
  const result = { at: new Date().toISOString(), machine: machine(), load, runs, rows };
  // A partial run (some suites named) must not replace the figures the README shows.
  const file = only.length === 0 ? 'results.json' : 'results-partial.json';
  writeFileSync(path.join(ROOT, 'bench', file), JSON.stringify(result, null, 2) + '\n');
  const md = `Measured by \`npm run bench\` on ${result.at.slice(0, 10)}, ${result.machine}, load average ${load.before} at the start and ${load.after} at the end. Each figure is the median of the runs its row gives; a baseline is measured side by side in the same run, alternating (page overhead: without the extension; ingest: the page's own production rate; demo server: memory mode). The interval is a bootstrap over the runs, paired where there is a baseline (\`ratioInterval\`, \`medianInterval\` in bench/lib.ts); a target is *met* when the whole interval is at or under it, *missed* when the whole interval is over it, and *within the noise* otherwise.\n\n${table(rows)}`;
  console.log(md);
  const readmePath = path.join(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (readme.includes(start) && readme.includes(end) && only.length === 0) {
    const updated = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + md + '\n' + readme.slice(readme.indexOf(end));
    writeFileSync(readmePath, updated);
    log('README.md Performance table updated');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
