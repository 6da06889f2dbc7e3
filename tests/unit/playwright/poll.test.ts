import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../src/playwright/poll';

/** A fake clock: sleep advances it. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

describe('pollUntil', () => {
  it('returns at once when the condition holds and no stability is asked', async () => {
    const c = clock();
    let calls = 0;
    const r = await pollUntil(async () => ({ ok: true, value: ++calls }), { timeout: 1000, ...c });
    expect(r).toEqual({ ok: true, value: 1, elapsedMs: 0 });
  });

  it('needs the condition to hold for stableMs without a break', async () => {
    const c = clock();
    // ok, ok, not ok, then ok for good
    const seq = [true, true, false, true, true, true, true, true, true, true];
    let i = 0;
    const r = await pollUntil(async () => ({ ok: seq[Math.min(i, seq.length - 1)] ?? true, value: i++ }), { timeout: 10_000, stableMs: 300, intervalMs: 100, ...c });
    expect(r.ok).toBe(true);
    // first ok after the break at t=300, stable from then until t=600
    expect(r.elapsedMs).toBe(600);
  });

  it('times out with the last value', async () => {
    const c = clock();
    const r = await pollUntil(async () => ({ ok: false, value: c.now() }), { timeout: 1000, intervalMs: 300, ...c });
    expect(r).toEqual({ ok: false, value: 1000, elapsedMs: 1000, reason: 'timeout' });
  });

  it('stops at a final failure', async () => {
    const c = clock();
    let i = 0;
    const r = await pollUntil(async () => ({ ok: false, final: ++i === 3, value: i }), { timeout: 10_000, intervalMs: 100, ...c });
    expect(r).toMatchObject({ ok: false, reason: 'final', value: 3, elapsedMs: 200 });
  });

  it('a condition that starts to hold at the deadline gets stableMs to prove it', async () => {
    const c = clock();
    const r = await pollUntil(async () => ({ ok: c.now() >= 1000, value: null }), { timeout: 1000, stableMs: 500, intervalMs: 100, ...c });
    expect(r).toMatchObject({ ok: true, elapsedMs: 1500 });
  });

  it('a condition that breaks again within stableMs after the deadline fails', async () => {
    const c = clock();
    const r = await pollUntil(async () => ({ ok: c.now() >= 1000 && c.now() < 1200, value: c.now() }), { timeout: 1000, stableMs: 500, intervalMs: 100, ...c });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
  });
});
