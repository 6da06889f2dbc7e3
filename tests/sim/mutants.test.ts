/**
 * Each invariant catches a deliberately broken client (or server): the mutant must produce a
 * violation of its invariant on its schedules, and the real code must pass the same schedules.
 */
import { describe, expect, it } from 'vitest';
import { MUTANTS } from './mutants.js';
import { runScenario } from './run.js';

describe('the invariants catch broken variants', () => {
  for (const m of MUTANTS) {
    for (const sc of m.scenarios) {
      it(`${m.invariant} catches "${m.name}" (${sc.mode}): ${m.what}`, async () => {
        const real = await runScenario(sc);
        expect(real.violations.map((v) => `${v.invariant}: ${v.detail}`)).toEqual([]);
        const undo = m.apply();
        let broken;
        try {
          broken = await runScenario(sc);
        } finally {
          undo();
        }
        expect(broken.violations.map((v) => v.invariant)).toContain(m.invariant);
      }, 30_000);
    }
  }
});
