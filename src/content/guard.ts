/**
 * The wrapper must never throw into the page. Every piece of our own logic
 * that runs inside a page call runs through `safely`; the first internal
 * failure turns the instrumentation off for this document (wrappers become
 * pass-through to the natives) and is reported once as `wrapper:error`.
 */
import { getOwnPropertyDescriptor, isObjectLike, slice } from './natives';

let off = false;
let onFailure: ((message: string) => void) | null = null;

export function isOn(): boolean {
  return !off;
}

/** Install the reporter (the batcher) once it exists. */
export function setFailureReporter(report: (message: string) => void): void {
  onFailure = report;
}

/** Turn instrumentation off and report why. Never throws. */
export function turnOff(where: string, error: unknown): void {
  if (off) return;
  off = true;
  try {
    onFailure?.(slice(`${where}: ${describe(error)}`, 0, 1000));
  } catch {
    // Nothing left to do: we are off.
  }
}

/** Run our own logic; on failure turn off instead of throwing. */
export function safely<T>(where: string, fn: () => T): T | undefined {
  if (off) return undefined;
  try {
    return fn();
  } catch (error) {
    turnOff(where, error);
    return undefined;
  }
}

/**
 * `safely` for a callback of one or two arguments (an event listener, a
 * wrapper's hook), built once: no closure per call, which on a callback that
 * runs for every message of a stream is garbage the page's collector would
 * have to sweep.
 */
export function guarded<A, B = void>(where: string, fn: (a: A, b: B) => void): (a: A, b: B) => void {
  return (a: A, b: B) => {
    if (off) return;
    try {
      fn(a, b);
    } catch (error) {
      turnOff(where, error);
    }
  };
}

/** Read an error's message without calling page code (no toString, no getters). */
function describe(error: unknown): string {
  if (typeof error === 'string') return error;
  if (!isObjectLike(error)) return 'non-object thrown';
  try {
    const name = getOwnPropertyDescriptor(error, 'name')?.value;
    const message = getOwnPropertyDescriptor(error, 'message')?.value;
    return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : ''}`;
  } catch {
    return 'unreadable error';
  }
}

/** Tests only: back to the initial state. */
export function resetGuardForTests(): void {
  off = false;
  onFailure = null;
}
