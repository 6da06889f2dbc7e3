/**
 * References to JavaScript built-ins, taken when the MAIN-world script is
 * evaluated (document_start, before any page script). The wrapper calls them
 * through `apply`, so a page that later patches `JSON.stringify`,
 * `WeakMap.prototype.get`, `String.prototype.slice` and the like neither sees
 * nor changes our traffic.
 *
 * Only ECMAScript built-ins live here, so this module also loads in Node for
 * unit tests. DOM natives are captured by each wrapper's `install*` function,
 * which also runs synchronously at startup.
 */

export const apply = Reflect.apply;
export const construct = Reflect.construct;
export const ownKeys = Reflect.ownKeys;
export const objectKeys = Object.keys;
export const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const defineProperty = Object.defineProperty;
export const getPrototypeOf = Object.getPrototypeOf;
export const isArray = Array.isArray;
export const jsonStringify = JSON.stringify;
export const dateNow = Date.now;
export const NativeProxy = Proxy;
export const NativeWeakMap = WeakMap;
export const NativeWeakSet = WeakSet;
export const NativePromise = Promise;
export const NativeString = String;
export const NativeError = Error;

const weakMapGet = WeakMap.prototype.get;
const weakMapSet = WeakMap.prototype.set;
const weakMapHas = WeakMap.prototype.has;
const weakSetAdd = WeakSet.prototype.add;
const weakSetHas = WeakSet.prototype.has;
const strSlice = String.prototype.slice;
const strCharCodeAt = String.prototype.charCodeAt;
const strToLowerCase = String.prototype.toLowerCase;
const strIndexOf = String.prototype.indexOf;
const strTrim = String.prototype.trim;
const promiseThen = Promise.prototype.then;
const numberToString = Number.prototype.toString;

export function wmGet<K extends object, V>(map: WeakMap<K, V>, key: K): V | undefined {
  return apply(weakMapGet, map, [key]) as V | undefined;
}
export function wmSet<K extends object, V>(map: WeakMap<K, V>, key: K, value: V): void {
  apply(weakMapSet, map, [key, value]);
}
export function wmHas<K extends object>(map: WeakMap<K, unknown>, key: unknown): boolean {
  return apply(weakMapHas, map, [key]) as boolean;
}
export function wsAdd<T extends object>(set: WeakSet<T>, value: T): void {
  apply(weakSetAdd, set, [value]);
}
export function wsHas<T extends object>(set: WeakSet<T>, value: unknown): boolean {
  return apply(weakSetHas, set, [value]) as boolean;
}
export function slice(s: string, start: number, end?: number): string {
  return apply(strSlice, s, end === undefined ? [start] : [start, end]) as string;
}
export function charCodeAt(s: string, i: number): number {
  return apply(strCharCodeAt, s, [i]) as number;
}
export function toLowerCase(s: string): string {
  return apply(strToLowerCase, s, []) as string;
}
export function indexOf(s: string, search: string): number {
  return apply(strIndexOf, s, [search]) as number;
}
export function trim(s: string): string {
  return apply(strTrim, s, []) as string;
}
export function numberText(n: number): string {
  return apply(numberToString, n, []) as string;
}

/**
 * Native `then` on a promise we created or got from a native API, with both
 * handlers. Never use it on a page-provided promise the page might leave
 * unhandled: attaching a rejection handler would hide its unhandledrejection.
 */
export function observe<T>(
  promise: Promise<T>,
  onFulfilled: (value: T) => void,
  onRejected: (reason: unknown) => void,
): void {
  apply(promiseThen, promise, [onFulfilled, onRejected]);
}

export function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

const objectCreate = Object.create;
/** A fresh object without prototype: property reads never reach page-patched prototypes. */
export function nullObject<T extends object>(): T {
  return objectCreate(null) as T;
}
