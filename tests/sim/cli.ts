/**
 * npm run sim -- [--runs N] [--seed S] [--mode locks|broadcast|both] [--no-shrink] [--trace]
 * npm run sim -- --replay <file>.json [--trace]   (a shrunk failure, or tests/sim/regressions/*.json)
 *
 * Runs the deterministic simulation (see docs/reliability.md) and prints a summary per mode:
 * runs, violations by invariant, steps simulated; for a failure, its seed, the schedule shrunk
 * by fast-check, the end of its trace and the command that replays it. Exit code 1 on any
 * violation.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOUNDS, INVARIANTS, runScenario } from './run.js';
import { describeScenario, runBatch, type BatchSummary } from './runner.js';
import type { Mode, Scenario } from './schedule.js';

interface Args {
  runs: number;
  seed: number;
  modes: Mode[];
  shrink: boolean;
  trace: boolean;
  replay: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 100, seed: 1, modes: ['locks', 'broadcast'], shrink: true, trace: false, replay: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${k} needs a non-negative integer`);
      i += 1;
      return n;
    };
    if (k === '--runs') a.runs = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--mode') {
      if (v !== 'locks' && v !== 'broadcast' && v !== 'both') throw new Error('--mode locks|broadcast|both');
      a.modes = v === 'both' ? ['locks', 'broadcast'] : [v];
      i += 1;
    } else if (k === '--no-shrink') a.shrink = false;
    else if (k === '--trace') a.trace = true;
    else if (k === '--replay') {
      a.replay = v;
      i += 1;
    } else if (k === '--help' || k === '-h') {
      console.log('npm run sim -- [--runs N] [--seed S] [--mode locks|broadcast|both] [--no-shrink] [--trace] | --replay FILE');
      process.exit(0);
    } else throw new Error(`unknown argument ${k ?? ''}`);
  }
  return a;
}

function fmtMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function printSummary(s: BatchSummary): void {
  const label = s.mode === 'locks' ? 'Web Locks + BroadcastChannel' : 'BroadcastChannel only (no Web Locks)';
  const rows: Array<[string, string]> = [
    ['mode', label],
    ['runs', `${s.runs} (seeds ${s.seed}..${s.seed + s.runs - 1}; ${Object.entries(s.byTransport).map(([k, n]) => `${n} ${k}`).join(', ')})`],
    ['runs with a violation', String(s.failedRuns)],
    ...INVARIANTS.map((k): [string, string] => [`  ${k}`, String(s.byInvariant[k])]),
    ['steps simulated', s.steps.toLocaleString('en-US')],
    ['virtual time', fmtMs(s.virtualMs)],
    ['tabs opened', String(s.tabsOpened)],
    ['messages published', s.messages.toLocaleString('en-US')],
    ['429 refusals served', String(s.refusals)],
    ['lock steals (takeovers)', String(s.steals)],
    ['longest double stream', `${fmtMs(s.maxDuplicateMs)} (bound ${BOUNDS.handoverMs} ms)`],
    ['slowest settling once quiet', `${fmtMs(s.maxConvergeMs)} (bound ${fmtMs(BOUNDS.convergeMs)})`],
    ['wall time', fmtMs(s.wallMs)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

function saveFailure(sc: Scenario, name: string): string {
  const dir = join(tmpdir(), 'sse-sim-failures');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(sc, null, 1)}\n`);
  return file;
}

async function replay(file: string, trace: boolean): Promise<number> {
  const sc = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
  const r = await runScenario(sc, { fullTrace: true });
  console.log(describeScenario(sc).join('\n'));
  console.log('');
  const lines = trace ? r.trace : r.trace.slice(-60);
  console.log(lines.join('\n'));
  console.log('');
  if (r.violations.length === 0) console.log(`no violation (${r.stats.steps} steps)`);
  for (const v of r.violations) console.log(`VIOLATION ${v.invariant} at ${(v.at / 1000).toFixed(3)}s: ${v.detail}`);
  return r.violations.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.replay) return replay(args.replay, args.trace);
  let bad = 0;
  for (const mode of args.modes) {
    let done = 0;
    const s = await runBatch({
      mode,
      runs: args.runs,
      seed: args.seed,
      shrink: args.shrink,
      onRun: () => {
        done += 1;
        if (process.stderr.isTTY && done % 25 === 0) process.stderr.write(`\r${mode}: ${done}/${args.runs}`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    printSummary(s);
    for (const f of s.failures.slice(0, 3)) {
      bad += 1;
      console.log('');
      console.log(`FAILED run seed ${f.runSeed} (${mode}): ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
      console.log(`  replay the original: npm run sim -- --mode ${mode} --seed ${f.runSeed} --runs 1`);
      if (f.shrunk) {
        const file = saveFailure(f.shrunk.scenario, `${mode}-${f.runSeed}`);
        console.log(`  shrunk by fast-check (${f.shrunk.shrinks} steps) to ${f.shrunk.scenario.actions.length} actions; schedule:`);
        for (const l of describeScenario(f.shrunk.scenario)) console.log(`    ${l}`);
        console.log('  end of its trace:');
        for (const l of (args.trace ? f.shrunk.trace : f.shrunk.trace.slice(-40))) console.log(`    ${l}`);
        for (const v of f.shrunk.violations) console.log(`  -> ${v.invariant}: ${v.detail}`);
        console.log(`  replay the shrunk run: npm run sim -- --replay ${file}`);
        console.log('  (once fixed, keep it: copy it to tests/sim/regressions/ with a "note"; npm test replays those)');
      }
    }
    if (s.failures.length > 3) console.log(`\n(${s.failures.length - 3} more failing runs not shown)`);
    if (s.failedRuns > 0) bad += 1;
  }
  return bad > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
