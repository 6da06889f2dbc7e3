/**
 * Web Locks instrumentation: navigator.locks.request is wrapped; query() is
 * left alone.
 *
 *  queued     when request() is called (and will not reject up front)
 *  granted    when the browser calls the callback with a lock
 *  unavailable when an ifAvailable request gets null
 *  released   when the callback's returned promise settles (or it returned a
 *             non-thenable, or threw)
 *  aborted    when the request's signal aborts before the grant, or a steal
 *             in this document took a lock this document held
 *
 * The page's callback has to be wrapped to see the grant. The wrapper calls
 * it with the same `this` (undefined) and argument, returns its result
 * unchanged (the browser, not us, waits on it) and rethrows what it throws.
 * The request's own promise is returned untouched and never observed by us:
 * attaching a handler would hide the page's unhandledrejection.
 */
import { LIMITS } from '../shared/constants';
import { emit, getMessageLogRate, nextId, now } from './context';
import { addDrainHook, admit, countMessage, createGate, wakeForDrain, type SourceGate } from './gate';
import { nativeGetter, read } from './dom';
import { safely } from './guard';
import { dataProperty, readLockRequest } from './lock-options';
import { wrapMethod } from './native-look';
import { cleanStack } from './stack';
import {
  apply,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  isObjectLike,
  NativePromise,
  nullObject,
  ownKeys,
  slice,
  observe,
} from './natives';

interface Held {
  id: number;
  done: boolean;
  /** A request over the rate, not logged (yet): see `Quiet`. */
  quiet: Quiet | null;
}

/**
 * A plain request (no ifAvailable, steal or signal) over the message log
 * rate of its lock name: nothing is sent for it at first. If it is granted
 * and released before the next batch goes, it is only counted (a
 * `lock:request-summary`); if it is still queued or held then, its
 * `lock:request` (and `lock:granted`) go out with their own times and it is
 * followed as any other, so a lock held for long is always seen.
 */
interface Quiet {
  id: number;
  name: string;
  mode: 'exclusive' | 'shared';
  requestedAt: number;
  grantedAt: number | null;
  /** Its events were sent (revealed); from now on it is logged as usual. */
  visible: boolean;
  done: boolean;
}

/** Lock names with a gate of their own; more share one (a page could make names without end). */
const MAX_GATED_NAMES = 256;

export function installWebLocks(win: Window & typeof globalThis, addEventListener: EventTarget['addEventListener']): void {
  const LockManager: unknown = (win as unknown as Record<string, unknown>).LockManager;
  if (typeof LockManager !== 'function') return;
  // An opaque origin (sandboxed frame) gets a SecurityError for every request: nothing would ever queue.
  if (win.origin === 'null') return;
  const abortedGetter = win.AbortSignal ? nativeGetter(win.AbortSignal.prototype, 'aborted') : null;
  const promiseProto = NativePromise.prototype;
  const lockManagerProto = (LockManager as { prototype: object }).prototype;
  /** Held locks of this document by name, so that a local steal marks them aborted. */
  const heldByName = nullObject<Record<string, Record<string, Held>>>();
  /** Message log rate per lock name (gate.ts). */
  const gates = nullObject<Record<string, SourceGate>>();
  let gatedNames = 0;
  let overflowGate: SourceGate | null = null;
  /** Quiet requests made since the last flush, to reveal at the next one if still pending (a null-prototype list: no page setter is reached). */
  let quietPending = nullObject<Record<number, Quiet>>();
  let quietCount = 0;

  function summaryGate(name: string): SourceGate {
    return createGate((g) => emit({ kind: 'lock:request-summary', t: g.last, name, count: g.count, since: g.since }));
  }

  function gateOf(name: string): SourceGate {
    const gate = gates[name];
    if (gate) return gate;
    if (gatedNames >= MAX_GATED_NAMES) return (overflowGate ??= summaryGate(''));
    gatedNames++;
    return (gates[name] = summaryGate(name));
  }

  /** Send a quiet request's events now, with their own times; it is logged as usual from here on. */
  function reveal(q: Quiet): void {
    if (q.visible || q.done) return;
    q.visible = true;
    emit({ kind: 'lock:request', t: q.requestedAt, id: q.id, name: q.name, mode: q.mode, ifAvailable: false, steal: false });
    if (q.grantedAt !== null) emit({ kind: 'lock:granted', t: q.grantedAt, id: q.id });
  }

  addDrainHook(() => {
    const list = quietPending;
    const n = quietCount;
    quietPending = nullObject<Record<number, Quiet>>();
    quietCount = 0;
    for (let i = 0; i < n; i++) reveal(list[i] as Quiet);
  });

  function isAborted(signal: object): boolean {
    if (!abortedGetter) return false;
    try {
      return read(abortedGetter, signal) === true;
    } catch {
      return false; // not an AbortSignal: the native call rejects with a TypeError
    }
  }

  /** A plain native promise whose `then` is the native one: safe to observe. */
  function isPlainNativePromise(value: unknown): value is Promise<unknown> {
    if (!isObjectLike(value) || getPrototypeOf(value) !== promiseProto) return false;
    if (getOwnPropertyDescriptor(value, 'constructor') || getOwnPropertyDescriptor(value, 'then')) return false;
    const ctor = getOwnPropertyDescriptor(promiseProto, 'constructor');
    return !!ctor && 'value' in ctor && ctor.value === NativePromise;
  }

  /** Promises and thenables are what the browser waits on; anything else releases at once. */
  function isThenable(value: unknown): boolean {
    if (!isObjectLike(value)) return false;
    const found = dataProperty(value, 'then');
    return !found || typeof found.value === 'function';
  }

  function release(name: string, held: Held): void {
    if (held.done) return;
    held.done = true;
    const byId = heldByName[name];
    if (byId) delete byId[held.id];
    const q = held.quiet;
    const t = now();
    if (q && !q.visible) {
      // Granted and released before anything was sent for it: counted only.
      q.done = true;
      countMessage(gateOf(name), t, 0, '');
      return;
    }
    emit({ kind: 'lock:released', t, id: held.id });
  }

  function granted(name: string, id: number, steal: boolean, quiet: Quiet | null): Held {
    const byId = heldByName[name] ?? (heldByName[name] = nullObject<Record<string, Held>>());
    if (steal) {
      const ids = ownKeys(byId);
      for (let i = 0; i < ids.length; i++) {
        const other = byId[ids[i] as string];
        if (other && !other.done) {
          // The worker must know a lock before it hears it was stolen.
          if (other.quiet) reveal(other.quiet);
          other.done = true;
          emit({ kind: 'lock:aborted', t: now(), id: other.id });
        }
      }
      heldByName[name] = nullObject<Record<string, Held>>();
    }
    const held: Held = { id, done: false, quiet };
    (heldByName[name] as Record<string, Held>)[id] = held;
    const t = now();
    if (quiet && !quiet.visible) quiet.grantedAt = t;
    else emit({ kind: 'lock:granted', t, id });
    return held;
  }

  /** Record the request and swap in a callback wrapper (in place: the trap hands `args` to the native). */
  function instrument(args: unknown[]): void {
    const info = readLockRequest(args, isAborted);
    if (!info || info.rejects) return;
    const id = nextId();
    const name = slice(info.name, 0, LIMITS.maxName);
    const callback = args[info.callbackIndex] as (lock: unknown) => unknown;
    let settled = false;
    const t = now();
    let quiet: Quiet | null = null;
    if (!info.ifAvailable && !info.steal && !info.signal && !admit(gateOf(name), t, getMessageLogRate())) {
      quiet = { id, name, mode: info.mode, requestedAt: t, grantedAt: null, visible: false, done: false };
      quietPending[quietCount++] = quiet;
      wakeForDrain();
    } else {
      emit({ kind: 'lock:request', t, id, name, mode: info.mode, ifAvailable: info.ifAvailable, steal: info.steal });
    }
    if (info.signal) {
      const onAbort = () =>
        safely('lock:abort', () => {
          if (settled) return;
          settled = true;
          emit({ kind: 'lock:aborted', t: now(), id });
        });
      try {
        apply(addEventListener, info.signal, ['abort', onAbort, true]);
      } catch {
        // Not an EventTarget: the native call rejects; nothing to watch.
      }
    }
    const wrapped = function (lock: unknown): unknown {
      let held: Held | undefined;
      safely('lock:grant', () => {
        settled = true;
        if (lock === null) emit({ kind: 'lock:unavailable', t: now(), id });
        else held = granted(name, id, info.steal, quiet);
      });
      let result: unknown;
      try {
        // WebIDL calls the callback with `this` undefined; our bundle is sloppy
        // code, so pass undefined explicitly rather than our own `this`.
        result = apply(callback, undefined, [lock]);
      } catch (error) {
        if (held) safely('lock:release', () => release(name, held as Held));
        cleanStack(error);
        throw error;
      }
      safely('lock:watch', () => {
        if (!held) return;
        const h = held;
        if (isPlainNativePromise(result)) {
          // The browser holds the lock until this promise settles; so do we.
          observe(
            result,
            () => safely('lock:release', () => release(name, h)),
            (reason) =>
              safely('lock:release', () => {
                // The page gets this reason from request()'s promise: drop our frame from its stack first.
                cleanStack(reason);
                release(name, h);
              }),
          );
        } else if (!isThenable(result)) {
          release(name, h);
        }
        // A page-made thenable: observing it would call its `then` a second
        // time, so its release is not reported (docs/instrumentation.md).
      });
      return result;
    };
    args[info.callbackIndex] = wrapped;
  }

  wrapMethod(lockManagerProto, 'request', {
    before(thisArg, args) {
      // Only real LockManager receivers: anything else rejects natively.
      if (!isObjectLike(thisArg) || getPrototypeOf(thisArg) !== lockManagerProto) return undefined;
      safely('lock:request', () => instrument(args));
      return undefined;
    },
  });
}
