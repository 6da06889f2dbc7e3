/**
 * Reading `navigator.locks.request` arguments without running page code, and
 * predicting whether the native call rejects before queueing (so a request
 * that never queues is not recorded as queued).
 *
 * Pure: unit-tested in Node.
 */
import { getOwnPropertyDescriptor, getPrototypeOf, isObjectLike, slice } from './natives';

export interface LockRequestInfo {
  name: string;
  mode: 'exclusive' | 'shared';
  ifAvailable: boolean;
  steal: boolean;
  signal: object | null;
  /** Index of the callback in the argument list. */
  callbackIndex: number;
  /** Why the native call will reject without queueing, or null. */
  rejects: string | null;
}

/**
 * The value of `key` on `o` if it is a data property (own or inherited);
 * `undefined` for an accessor, whose getter we must not call.
 */
export function dataProperty(o: object, key: string): { value: unknown } | null {
  let current: object | null = o;
  for (let depth = 0; current && depth < 32; depth++) {
    const desc = getOwnPropertyDescriptor(current, key);
    if (desc) return 'value' in desc ? { value: desc.value } : null;
    current = getPrototypeOf(current) as object | null;
  }
  return { value: undefined };
}

/** Null when the arguments are not the shape we instrument (the call then goes through untouched). */
export function readLockRequest(args: readonly unknown[], isAborted: (signal: object) => boolean): LockRequestInfo | null {
  const rawName = args[0];
  if (typeof rawName !== 'string') return null; // converting it would run page code (toString)
  const callbackIndex = args.length >= 3 ? 2 : 1;
  if (typeof args[callbackIndex] !== 'function') return null;
  let mode: 'exclusive' | 'shared' = 'exclusive';
  let ifAvailable = false;
  let steal = false;
  let signal: object | null = null;
  let rejects: string | null = null;
  const options = callbackIndex === 2 ? args[1] : undefined;
  if (options !== undefined && options !== null) {
    if (!isObjectLike(options)) return null; // the native call rejects with a TypeError
    const m = dataProperty(options, 'mode');
    const a = dataProperty(options, 'ifAvailable');
    const st = dataProperty(options, 'steal');
    const si = dataProperty(options, 'signal');
    if (!m || !a || !st || !si) return null; // an accessor: we cannot know without calling it
    if (m.value === 'shared') mode = 'shared';
    else if (m.value !== undefined && m.value !== 'exclusive') return null;
    ifAvailable = !!a.value;
    steal = !!st.value;
    if (si.value !== undefined && si.value !== null) {
      if (!isObjectLike(si.value)) return null;
      signal = si.value;
    }
  }
  if (slice(rawName, 0, 1) === '-') rejects = 'name starts with "-"';
  else if (steal && ifAvailable) rejects = 'steal with ifAvailable';
  else if (steal && mode !== 'exclusive') rejects = 'steal with shared mode';
  else if (signal && (steal || ifAvailable)) rejects = 'signal with steal or ifAvailable';
  else if (signal && isAborted(signal)) rejects = 'signal already aborted';
  return { name: rawName, mode, ifAvailable, steal, signal, callbackIndex, rejects };
}
