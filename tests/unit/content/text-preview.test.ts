import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { previewByUnits, textPreview, utf8Length } from '../../../src/content/text';
import { valuePreview } from '../../../src/content/preview';

describe('utf8Length', () => {
  it('matches the bytes TextEncoder writes, short and long strings, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: 'grapheme', maxLength: 300 })), (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).byteLength);
      }),
    );
    expect(utf8Length('\ud83d')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
  });
});

describe('textPreview', () => {
  it('keeps short strings whole and cuts long ones to at most maxBytes UTF-8 bytes', () => {
    expect(textPreview('hello', 2048)).toBe('hello');
    expect(textPreview('x'.repeat(5000), 2048)).toHaveLength(2048);
    expect(utf8Length(textPreview('é'.repeat(5000), 2048))).toBe(2048);
  });

  it('is the longest prefix that fits, the same as counting code unit by code unit, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.nat(300), (s, max) => {
        const p = textPreview(s, max);
        expect(p).toBe(previewByUnits(s, max));
        if (p.length < s.length) {
          const c = s.charCodeAt(p.length);
          const next = c >= 0xd800 && c <= 0xdbff && p.length + 1 < s.length ? 2 : 1;
          expect(utf8Length(s.slice(0, p.length + next))).toBeGreaterThan(max);
        }
      }),
    );
  });

  it('never splits a surrogate pair and is a prefix of the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.nat(300), (s, max) => {
        const p = textPreview(s, max);
        expect(s.startsWith(p)).toBe(true);
        expect(utf8Length(p)).toBeLessThanOrEqual(Math.max(max, 0));
        if (p.length > 0) {
          const last = p.charCodeAt(p.length - 1);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
    );
  });
});

describe('valuePreview', () => {
  it('previews structured-cloneable values', () => {
    expect(valuePreview('hi', 100)).toEqual({ preview: '"hi"', size: 2 });
    expect(valuePreview({ a: 1, b: [true, null, 'x'] }, 100).preview).toBe('{"a":1,"b":[true,null,"x"]}');
    expect(valuePreview(new Map([['k', 1]]), 100).preview).toBe('Map(1) {"k" => 1}');
    expect(valuePreview(new Set([1, 2]), 100).preview).toBe('Set(2) {1,2}');
    expect(valuePreview(new Date(0), 100).preview).toBe('Date(1970-01-01T00:00:00.000Z)');
    expect(valuePreview(new Uint8Array(16), 100)).toEqual({ preview: 'Uint8Array(16)', size: 16 });
    expect(valuePreview(new ArrayBuffer(8), 100)).toEqual({ preview: 'ArrayBuffer(8)', size: 8 });
    expect(valuePreview(/a+b/g, 100).preview).toBe('/a+b/');
    expect(valuePreview(10n, 100).preview).toBe('10n');
    expect(valuePreview(undefined, 100).preview).toBe('undefined');
  });

  it('estimates size from content', () => {
    expect(valuePreview('héllo', 100).size).toBe(6);
    expect(valuePreview({ text: 'x'.repeat(1000) }, 50).size).toBe(1000 + 'text'.length);
  });

  it('never calls getters or toJSON, and shows accessors as [getter]', () => {
    let calls = 0;
    const value = {
      get secret() {
        calls++;
        return 1;
      },
      toJSON() {
        calls++;
        return 'no';
      },
      plain: 2,
    };
    expect(valuePreview(value, 200).preview).toBe('{"secret":[getter],"toJSON":[function],"plain":2}');
    expect(calls).toBe(0);
  });

  it('does not consult page-patchable prototypes (Object.prototype.toJSON, Array iterator)', () => {
    const saved = Array.prototype[Symbol.iterator];
    let touched = 0;
    Object.defineProperty(Object.prototype, 'toJSON', { get: () => { touched++; return undefined; }, configurable: true });
    Array.prototype[Symbol.iterator] = function () {
      touched++;
      return saved.call(this);
    };
    try {
      valuePreview({ a: [1, { b: 2 }] }, 100);
    } finally {
      delete (Object.prototype as { toJSON?: unknown }).toJSON;
      Array.prototype[Symbol.iterator] = saved;
    }
    expect(touched).toBe(0);
  });

  it('marks cycles and bounds depth, nodes and length', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(valuePreview(cyclic, 100).preview).toBe('{"a":1,"self":[Circular]}');
    // A cycle through a Map and an array; a shared (not circular) object is shown at each place.
    const m = new Map<string, unknown>();
    const inner = { m, list: [] as unknown[] };
    inner.list.push(inner);
    m.set('k', inner);
    expect(valuePreview(m, 200).preview).toBe('Map(1) {"k" => {"m":[Circular],"list":[[Circular]]}}');
    const shared = { x: 1 };
    expect(valuePreview({ a: shared, b: [shared] }, 200).preview).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    let deep: unknown = 'end';
    for (let i = 0; i < 50; i++) deep = [deep];
    expect(valuePreview(deep, 1000).preview).toContain('…');
    const big = Array.from({ length: 10_000 }, (_, i) => i);
    const p = valuePreview(big, 100_000).preview;
    expect(p).toContain('more');
    expect(valuePreview({ s: 'x'.repeat(100_000) }, 64).preview.length).toBeLessThanOrEqual(64);
  });

  it('never throws, whatever the value (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withDate: true, withTypedArray: true, withBigInt: true, withSparseArray: true }), fc.nat(500), (v, max) => {
        const r = valuePreview(v, max);
        expect(typeof r.preview).toBe('string');
        expect(r.preview.length).toBeLessThanOrEqual(Math.max(max, 0) + 0);
        expect(Number.isFinite(r.size)).toBe(true);
      }),
    );
  });
});
