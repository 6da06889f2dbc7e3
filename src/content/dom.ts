/** Small helpers to call native DOM accessors captured at startup. */
import { apply, getOwnPropertyDescriptor } from './natives';

const create = Object.create;
const assign = Object.assign;

export type NativeGetter = (this: unknown) => unknown;

/** The native getter `proto[key]`, or a getter that returns undefined when absent. */
export function nativeGetter(proto: object | undefined | null, key: string): NativeGetter {
  const get = proto ? (getOwnPropertyDescriptor(proto, key)?.get as NativeGetter | undefined) : undefined;
  return get ?? (() => undefined);
}

export function read(get: NativeGetter, target: unknown): unknown {
  return apply(get, target, []);
}

/** A null-prototype options bag, so no page-defined Object.prototype getter is consulted. */
export function bag<T extends object>(fields: T): T {
  const out = create(null) as T;
  assign(out, fields);
  return out;
}
