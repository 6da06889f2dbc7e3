/** Property-based tests: whatever a page sends, the validator never throws, never lets through a bad shape, and never pollutes prototypes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS, PAGE_SOURCE, PROTOCOL_VERSION, PageEventSchema, parsePageBatch, parsePageEvents } from '../../src/shared/protocol';
import * as v from 'valibot';

const kinds = PageEventSchema.options.map((o) => o.entries.kind.literal);

/** Anything JSON can carry, including keys a page might use to attack. */
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'kind', 'id', 't', 'url'), fc.string({ maxLength: 8 }));
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...kinds),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Events that look nearly right: a real kind with random field values. */
const nearEvent = fc.record({
  kind: fc.constantFrom(...kinds),
  t: fc.oneof(fc.double(), fc.integer(), fc.string()),
  id: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double(), fc.string()),
  url: fc.oneof(fc.string(), fc.constant('x'.repeat(LIMITS.maxUrl + 1))),
  readyState: fc.integer({ min: -1, max: 4 }),
  preview: fc.string(),
  size: fc.integer({ min: -1, max: 10 }),
  name: fc.string(),
  type: fc.string(),
  lastEventId: fc.string(),
  mode: fc.constantFrom('exclusive', 'shared', 'other'),
  withCredentials: fc.boolean(),
  ifAvailable: fc.boolean(),
  steal: fc.boolean(),
  role: fc.constantFrom('leader', 'follower', 'standalone', 'king'),
  projectKey: fc.string(),
});

describe('page event validator (property-based)', () => {
  it('never throws and only accepts events that satisfy the schema', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostileValue, nearEvent), { maxLength: 30 }), (list) => {
        const r = parsePageEvents(list);
        expect(r.events.length + r.invalid).toBe(list.length);
        for (const e of r.events) expect(v.safeParse(PageEventSchema, e).success).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('accepted events carry only known keys, never __proto__ or constructor', () => {
    fc.assert(
      fc.property(nearEvent, fc.dictionary(hostileKey, hostileValue, { maxKeys: 4 }), (event, extra) => {
        const raw = JSON.parse(JSON.stringify({ ...extra, ...event })) as unknown;
        const r = parsePageEvents([raw]);
        for (const e of r.events) {
          expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
          expect(Object.keys(e)).not.toContain('__proto__');
          expect(Object.keys(e)).not.toContain('constructor');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parsePageBatch never throws on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), hostileValue.map((x) => JSON.stringify({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, events: [x], dropped: 0 }))), (s) => {
        const r = parsePageBatch(s);
        if (r) expect(r.events.length + r.invalid).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });
});
