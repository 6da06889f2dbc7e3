import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay } from '../../../src/client/backoff.js';
import { BoundedIdSet, RecentMessages } from '../../../src/client/dedupe.js';
import { parseRetryAfter, retryAfterFromBody } from '../../../src/client/retry-after.js';
import { streamUrl } from '../../../src/client/url.js';

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP-dates; rejects junk (the seed turned a date into NaN)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('10', now)).toBe(10_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    for (const bad of [null, undefined, '', '-5', '1.5', 'soon', '10s']) expect(parseRetryAfter(bad, now)).toBeUndefined();
    expect(retryAfterFromBody({ retry_after_ms: 2500 })).toBe(2500);
    expect(retryAfterFromBody({ retry_after_ms: '2500' })).toBeUndefined();
  });
});

describe('backoff', () => {
  it('never undercuts Retry-After, grows, stays capped, and spreads clients apart', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.option(fc.nat(120_000), { nil: undefined }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, ra, r) => {
        const d = backoffDelay(attempt, { retryAfterMs: ra, random: () => r, maxMs: 30_000 });
        if (ra !== undefined) expect(d).toBeGreaterThanOrEqual(ra);
        expect(d).toBeLessThanOrEqual(Math.max(30_000, ra ?? 0) + 1000);
        expect(d).toBeGreaterThan(0);
      }),
    );
    expect(backoffDelay(0, { random: () => 0 })).toBe(500);
    expect(backoffDelay(3, { random: () => 0 })).toBe(4000);
    expect(backoffDelay(0, { random: () => 0 })).not.toBe(backoffDelay(0, { random: () => 0.9 }));
    expect(backoffDelay(0, { retryAfterMs: 10_000, random: () => 0 })).toBe(10_000);
    expect(backoffDelay(0, { retryAfterMs: 10_000, random: () => 0.99 })).toBeGreaterThan(10_000);
  });
});

describe('dedupe buffers', () => {
  it('BoundedIdSet forgets the oldest; RecentMessages answers "after id"', () => {
    const s = new BoundedIdSet(3);
    expect(['1', '2', '3', '4'].map((x) => s.add(x))).toEqual([true, true, true, true]);
    expect(s.has('1')).toBe(false);
    expect(s.add('4')).toBe(false);
    const r = new RecentMessages(3);
    for (const id of ['1', '2', '3', '4']) r.push({ id, event: 'message', data: id });
    expect(r.after('2').map((e) => e.id)).toEqual(['3', '4']);
    expect(r.after('4')).toEqual([]);
    expect(r.after('unknown').map((e) => e.id)).toEqual(['2', '3', '4']);
  });
});

describe('urls', () => {
  it('encodes the project id (the seed concatenated it raw)', () => {
    expect(streamUrl('http://h/', 'a&b=c')).toBe('http://h/api/persistent-chat/stream?projectId=a%26b%3Dc');
  });
});
