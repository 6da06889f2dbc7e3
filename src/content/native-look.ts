/**
 * Replace a native function with a Proxy of it that still looks native.
 *
 * A Proxy over a function forwards `name`, `length`, `prototype`, own
 * constants and `instanceof`; what it does not keep is
 * `Function.prototype.toString`, which prints `function () { [native code] }`
 * for any proxy. So `Function.prototype.toString` is itself replaced by a
 * proxy that prints the original for every function registered here
 * (including itself).
 *
 * Proxy handlers are null-prototype objects: a page that defines
 * `Object.prototype.get` must not become a trap of ours.
 */
import {
  apply,
  construct,
  defineProperty,
  getOwnPropertyDescriptor,
  NativeProxy,
  NativeWeakMap,
  nullObject,
  wmGet,
  wmSet,
} from './natives';
import { cleanStack } from './stack';

type AnyFunction = (...args: never[]) => unknown;

const originals: WeakMap<object, object> = new NativeWeakMap();
let toStringMasked = false;

/** Remember that `wrapped` must print like `original`. */
export function registerNative(wrapped: object, original: object): void {
  wmSet(originals, wrapped, original);
}

export function originalOf<T extends object>(fn: T): T {
  return (wmGet(originals, fn) as T | undefined) ?? fn;
}

/** Make `Function.prototype.toString` print native code for our proxies. Idempotent. */
export function maskToString(): void {
  if (toStringMasked) return;
  toStringMasked = true;
  const fnProto = Function.prototype;
  const nativeToString = fnProto.toString;
  const handler = nullObject<ProxyHandler<typeof nativeToString>>();
  handler.apply = (target, thisArg: unknown, args: unknown[]) => {
    try {
      return apply(target, (typeof thisArg === 'object' || typeof thisArg === 'function') && thisArg !== null
        ? (wmGet(originals, thisArg) ?? thisArg)
        : thisArg, args);
    } catch (error) {
      cleanStack(error);
      throw error;
    }
  };
  const masked = new NativeProxy(nativeToString, handler);
  registerNative(masked, nativeToString);
  replaceValue(fnProto, 'toString', masked);
}

/** Redefine a data property keeping its attributes (writable, enumerable, configurable). */
export function replaceValue(owner: object, key: PropertyKey, value: unknown): boolean {
  const desc = getOwnPropertyDescriptor(owner, key);
  if (!desc || !('value' in desc) || !desc.configurable) return false;
  defineProperty(owner, key, {
    __proto__: null,
    value,
    writable: desc.writable,
    enumerable: desc.enumerable,
    configurable: desc.configurable,
  } as PropertyDescriptor);
  return true;
}

/**
 * Wrap the method `owner[key]`: `after` runs once the native call returned,
 * with its result; it must not throw (callers guard it). A native exception
 * propagates unchanged and `after` does not run. Returns the installed proxy.
 */
export function wrapMethod<F extends AnyFunction>(
  owner: object,
  key: PropertyKey,
  hooks: {
    before?: (thisArg: unknown, args: unknown[]) => unknown;
    after?: (thisArg: unknown, args: unknown[], result: unknown, state: unknown) => unknown;
    /**
     * Fault injection only (docs/faults.md): answer the call without the
     * native one. Returns `{ value }` to do so, or null to go on as usual.
     */
    instead?: (thisArg: unknown, args: unknown[]) => { value: unknown } | null;
  },
): F | null {
  const desc = getOwnPropertyDescriptor(owner, key);
  const original = desc && 'value' in desc ? (desc.value as F) : undefined;
  if (typeof original !== 'function') return null;
  const handler = nullObject<ProxyHandler<F>>();
  handler.apply = (target, thisArg: unknown, args: unknown[]) => {
    if (hooks.instead) {
      const answer = hooks.instead(thisArg, args);
      if (answer) return answer.value;
    }
    const state = hooks.before ? hooks.before(thisArg, args) : undefined;
    let result: unknown;
    try {
      result = apply(target, thisArg, args);
    } catch (error) {
      cleanStack(error);
      throw error;
    }
    return hooks.after ? hooks.after(thisArg, args, result, state) : result;
  };
  const proxy = new NativeProxy(original, handler);
  registerNative(proxy, original);
  return replaceValue(owner, key, proxy) ? proxy : null;
}

/**
 * Replace the global constructor `name` with a proxy whose construct trap
 * builds the native instance (honouring `new.target`, so subclasses work) and
 * hands it to `created`. Calls without `new` reach the native constructor,
 * which throws its own TypeError. `prototype.constructor` is pointed at the
 * proxy so that `EventSource.prototype.constructor === EventSource` holds.
 */
export function wrapConstructor<C extends abstract new (...args: never[]) => object>(
  global: object,
  name: string,
  created: (instance: InstanceType<C>, args: unknown[]) => void,
  /** Fault injection only: the arguments to construct the native with instead (null: unchanged). */
  rewrite?: (args: unknown[]) => unknown[] | null,
): C | null {
  const desc = getOwnPropertyDescriptor(global, name);
  const original = desc && 'value' in desc ? (desc.value as C) : undefined;
  if (typeof original !== 'function') return null;
  const handler = nullObject<ProxyHandler<C>>();
  handler.construct = (target, args: unknown[], newTarget: object) => {
    // If `newTarget` is our proxy, construct with the native itself so the
    // instance's prototype is read from the same object either way.
    const ctor = target as unknown as new (...a: unknown[]) => object;
    let instance: InstanceType<C>;
    const actual = rewrite ? (rewrite(args) ?? args) : args;
    try {
      instance = construct(ctor, actual, (newTarget === proxy ? ctor : newTarget) as typeof ctor) as InstanceType<C>;
    } catch (error) {
      cleanStack(error);
      throw error;
    }
    created(instance, args);
    return instance;
  };
  const proxy: C = new NativeProxy(original, handler);
  registerNative(proxy, original);
  const proto = (original as unknown as { prototype: object }).prototype;
  replaceValue(proto, 'constructor', proxy);
  if (!replaceValue(global, name, proxy)) {
    replaceValue(proto, 'constructor', original);
    return null;
  }
  return original;
}

/**
 * Replace the getter of the accessor `owner[key]` with a Proxy whose result
 * `override` may change (fault injection: a refused EventSource keeps its
 * URL). `override` returns `{ value }` to answer, or null for the native
 * value. Installed only when a fault first needs it.
 */
export function wrapGetter(owner: object, key: PropertyKey, override: (thisArg: unknown) => { value: unknown } | null): boolean {
  const desc = getOwnPropertyDescriptor(owner, key);
  const original = desc?.get;
  if (!desc || typeof original !== 'function' || !desc.configurable) return false;
  const handler = nullObject<ProxyHandler<typeof original>>();
  handler.apply = (target, thisArg: unknown, args: unknown[]) => {
    const answer = override(thisArg);
    if (answer) return answer.value;
    try {
      return apply(target, thisArg, args);
    } catch (error) {
      cleanStack(error);
      throw error;
    }
  };
  const proxy = new NativeProxy(original, handler);
  registerNative(proxy, original);
  defineProperty(owner, key, {
    __proto__: null,
    get: proxy,
    set: desc.set,
    enumerable: desc.enumerable,
    configurable: desc.configurable,
  } as PropertyDescriptor);
  return true;
}
