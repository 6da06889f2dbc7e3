/**
 * Many runs: scenario i of a batch is the first value fast-check draws from seed + i, so any
 * run can be replayed from its seed alone; a failing run is shrunk by fast-check (keeping the
 * invariant it broke) to a short schedule, saved as JSON, and replayable.
 */
import fc from 'fast-check';
import { INVARIANTS, runScenario, type InvariantName, type RunResult, type Violation } from './run.js';
import { describeAction, scenarioArb, type Mode, type Scenario } from './schedule.js';

export interface Failure {
  runSeed: number;
  scenario: Scenario;
  violations: Violation[];
  shrunk?: { scenario: Scenario; violations: Violation[]; trace: string[]; shrinks: number };
}

export interface BatchSummary {
  mode: Mode;
  runs: number;
  seed: number;
  failedRuns: number;
  byInvariant: Record<InvariantName, number>;
  steps: number;
  virtualMs: number;
  tabsOpened: number;
  messages: number;
  refusals: number;
  steals: number;
  byTransport: Record<string, number>;
  maxDuplicateMs: number;
  maxConvergeMs: number;
  failures: Failure[];
  wallMs: number;
}

export function scenarioFor(mode: Mode, runSeed: number): Scenario {
  const [sc] = fc.sample(scenarioArb(mode), { seed: runSeed, numRuns: 1 });
  if (!sc) throw new Error('fast-check drew nothing');
  return sc;
}

/** Shrinks a failing scenario, keeping the same broken invariant. */
export async function shrink(mode: Mode, runSeed: number, invariant: InvariantName, timeLimitMs = 120_000): Promise<Failure['shrunk']> {
  let shrinks = 0;
  const prop = fc.asyncProperty(scenarioArb(mode), async (sc) => {
    const r = await runScenario(sc);
    return !r.violations.some((v) => v.invariant === invariant);
  });
  const out = await fc.check(prop, { seed: runSeed, numRuns: 1, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false });
  if (!out.failed || !out.counterexample) return undefined;
  shrinks = out.numShrinks;
  const [sc] = out.counterexample;
  const r = await runScenario(sc, { fullTrace: true });
  return { scenario: sc, violations: r.violations, trace: r.trace, shrinks };
}

export async function runBatch(opts: {
  mode: Mode;
  runs: number;
  seed: number;
  shrink?: boolean;
  onRun?: (i: number, r: RunResult) => void;
}): Promise<BatchSummary> {
  const t0 = performance.now();
  const byInvariant = Object.fromEntries(INVARIANTS.map((k) => [k, 0])) as Record<InvariantName, number>;
  const s: BatchSummary = {
    mode: opts.mode,
    runs: opts.runs,
    seed: opts.seed,
    failedRuns: 0,
    byInvariant,
    steps: 0,
    virtualMs: 0,
    tabsOpened: 0,
    messages: 0,
    refusals: 0,
    steals: 0,
    byTransport: {},
    maxDuplicateMs: 0,
    maxConvergeMs: 0,
    failures: [],
    wallMs: 0,
  };
  for (let i = 0; i < opts.runs; i += 1) {
    const runSeed = opts.seed + i;
    const sc = scenarioFor(opts.mode, runSeed);
    const r = await runScenario(sc);
    opts.onRun?.(i, r);
    s.steps += r.stats.steps;
    s.virtualMs += r.stats.virtualMs;
    s.tabsOpened += r.stats.tabsOpened;
    s.messages += r.stats.messages;
    s.refusals += r.stats.refusals;
    s.steals += r.stats.steals;
    s.byTransport[sc.transport] = (s.byTransport[sc.transport] ?? 0) + 1;
    s.maxDuplicateMs = Math.max(s.maxDuplicateMs, r.stats.maxDuplicateMs);
    s.maxConvergeMs = Math.max(s.maxConvergeMs, r.stats.convergeMs);
    if (r.violations.length > 0) {
      s.failedRuns += 1;
      for (const v of r.violations) s.byInvariant[v.invariant] += 1;
      s.failures.push({ runSeed, scenario: sc, violations: r.violations });
    }
  }
  if (opts.shrink) {
    for (const f of s.failures.slice(0, 3)) {
      const first = f.violations[0];
      if (first) f.shrunk = await shrink(opts.mode, f.runSeed, first.invariant);
    }
  }
  s.wallMs = performance.now() - t0;
  return s;
}

/** The schedule of a scenario, one line per action, with its time. */
export function describeScenario(sc: Scenario): string[] {
  const lines = [
    `${sc.mode === 'locks' ? 'Web Locks' : 'BroadcastChannel only'}, ${sc.transport}, server Retry-After ${sc.retryAfterSec}s${sc.retryAfterAsDate ? ' as HTTP-date' : ''}, sim seed ${sc.seed}`,
    `     0.000s  ${sc.initialTabs} tab(s) open together`,
  ];
  let t = 0;
  for (const a of sc.actions) {
    t += a.dt;
    lines.push(`${(t / 1000).toFixed(3).padStart(10)}s  ${describeAction(a)}`);
  }
  lines.push(`${(t / 1000).toFixed(3).padStart(10)}s  (quiet from here)`);
  return lines;
}
