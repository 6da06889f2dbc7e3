/**
 * The Proxy helpers, on Node's own built-ins (the browser side is covered by
 * the conformance e2e suite). Function.prototype.toString of this test
 * worker is masked for the duration of the file.
 */
import { describe, expect, it } from 'vitest';
import { maskToString, wrapConstructor, wrapMethod } from '../../../src/content/native-look';

describe('wrapConstructor', () => {
  it('keeps instanceof, prototype.constructor, name, length, static members, subclassing and new-less TypeError', () => {
    const created: unknown[] = [];
    const nativeText = Function.prototype.toString.call(URL);
    const holder = { URL } as { URL: typeof URL };
    const original = wrapConstructor<typeof URL>(holder, 'URL', (instance) => created.push(instance));
    expect(original).toBe(URL);
    const Wrapped = holder.URL;
    expect(Wrapped).not.toBe(URL);
    const u = new Wrapped('http://a/b');
    expect(created).toEqual([u]);
    expect(u instanceof Wrapped && u instanceof URL).toBe(true);
    expect(Wrapped.prototype).toBe(URL.prototype);
    expect(URL.prototype.constructor).toBe(Wrapped);
    expect([Wrapped.name, Wrapped.length]).toEqual([URL.name, URL.length]);
    expect(Wrapped.canParse('http://x/')).toBe(true);
    class Sub extends Wrapped {
      tag = 'sub';
    }
    const s = new Sub('http://c/');
    expect([s instanceof Sub, s instanceof URL, s.tag, s.href, created.length]).toEqual([true, true, 'sub', 'http://c/', 2]);
    expect(() => (Wrapped as unknown as (u: string) => unknown)('http://a/')).toThrow(TypeError);

    maskToString();
    expect(Function.prototype.toString.call(Wrapped)).toBe(nativeText);
    expect(String(Wrapped)).toBe(nativeText);
    expect(Function.prototype.toString.call(Function.prototype.toString)).toBe('function toString() { [native code] }');
    URL.prototype.constructor = URL; // leave Node as we found it
  });
});

describe('wrapMethod', () => {
  it('keeps the attributes of the property, runs hooks around the native call and lets native errors through', () => {
    const target = { twice: (n: number) => n * 2 };
    Object.defineProperty(target, 'twice', { enumerable: false });
    const seen: unknown[] = [];
    const proxy = wrapMethod(target, 'twice', {
      before: (_t, args) => seen.push(['before', ...args]),
      after: (_t, _a, result) => {
        seen.push(['after', result]);
        return result;
      },
    });
    expect(target.twice).toBe(proxy);
    expect(target.twice(3)).toBe(6);
    expect(seen).toEqual([['before', 3], ['after', 6]]);
    expect(Object.getOwnPropertyDescriptor(target, 'twice')).toMatchObject({ enumerable: false, writable: true, configurable: true });

    const thrower = {
      fail() {
        throw new RangeError('native says no');
      },
    };
    let after = 0;
    wrapMethod(thrower, 'fail', { after: () => after++ });
    expect(() => thrower.fail()).toThrow(RangeError);
    expect(after).toBe(0);
  });

  it('does not install over non-configurable or accessor properties', () => {
    const frozen = Object.freeze({ f() {} });
    expect(wrapMethod(frozen, 'f', {})).toBeNull();
    const accessor = { get f() { return () => 1; } };
    expect(wrapMethod(accessor, 'f', {})).toBeNull();
  });
});
