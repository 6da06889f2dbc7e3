/**
 * The deterministic simulation in `npm test`: a small batch per election mode (SIM_RUNS, default
 * 50; `npm run sim -- --runs 1000` for long runs), every kept regression schedule replayed, and
 * determinism (same scenario, same trace).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from './run.js';
import { runBatch, scenarioFor } from './runner.js';
import type { Mode, Scenario } from './schedule.js';

const RUNS = Number(process.env['SIM_RUNS'] ?? 50);
const SEED = Number(process.env['SIM_SEED'] ?? 1);

describe('deterministic simulation', () => {
  for (const mode of ['locks', 'broadcast'] as Mode[]) {
    it(`${mode}: ${RUNS} random schedules, no invariant broken`, async () => {
      const s = await runBatch({ mode, runs: RUNS, seed: SEED });
      const failures = s.failures.map(
        (f) => `seed ${f.runSeed}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')} (npm run sim -- --mode ${mode} --seed ${f.runSeed} --runs 1)`,
      );
      expect(failures).toEqual([]);
      expect(s.steps).toBeGreaterThan(RUNS * 10); // it did simulate something
    }, 120_000);
  }

  const dir = join(import.meta.dirname, 'regressions');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const sc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Scenario & { note?: string };
    it(`replays ${file}: ${sc.note ?? ''}`, async () => {
      const r = await runScenario(sc);
      expect(r.violations.map((v) => `${v.invariant}: ${v.detail}`)).toEqual([]);
    }, 60_000);
  }

  it('is deterministic: the same seed gives the same scenario and the same trace', async () => {
    for (const mode of ['locks', 'broadcast'] as Mode[]) {
      const a = scenarioFor(mode, 424242);
      const b = scenarioFor(mode, 424242);
      expect(b).toEqual(a);
      const ra = await runScenario(a, { fullTrace: true });
      const rb = await runScenario(b, { fullTrace: true });
      expect(rb.trace).toEqual(ra.trace);
      expect(rb.stats).toEqual(ra.stats);
    }
  }, 60_000);
});
