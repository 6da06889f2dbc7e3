/**
 * Remove our own frames from the stack of an error that passes through one of
 * our wrappers (a native that threw inside a Proxy trap, or a page error we
 * rethrow), so `error.stack` reads as it would without the extension.
 *
 * Only done when it runs no page code: not when the page has installed
 * `Error.prepareStackTrace` (formatting the stack would call it). What cannot
 * be cleaned is a stack the page captures itself while one of our frames is
 * below it (inside a Web Locks callback, or in a getter / toString that a
 * native calls during one of our calls); see docs/instrumentation.md.
 */
import { apply, getOwnPropertyDescriptor, indexOf, isObjectLike, NativeError, slice } from './natives';

/**
 * `chrome-extension://<id>/` (or moz-extension) of our own script, found the
 * first time an error passes through one of our wrappers, not at startup:
 * formatting a stack in our bundle made V8 collect the source positions of
 * its functions, 3 to 8 ms of every page's start before its first script
 * (measured with performance marks; docs/benchmarks.md). The top frame of
 * the stack made here is always ours, so the page cannot hide it, short of
 * `Error.stackTraceLimit = 0`, when its errors have no frames to clean either
 * (and we try again on the next error).
 */
let ourOrigin: string | null = null;

function ownOrigin(): string | null {
  if (ourOrigin === null) learnOwnOrigin();
  return ourOrigin;
}

function learnOwnOrigin(): void {
  try {
    const stack = new NativeError().stack ?? '';
    for (const scheme of ['chrome-extension://', 'moz-extension://']) {
      const at = indexOf(stack, scheme);
      if (at === -1) continue;
      const rest = slice(stack, at + scheme.length);
      const slash = indexOf(rest, '/');
      if (slash > 0) ourOrigin = `${scheme}${slice(rest, 0, slash + 1)}`;
      return;
    }
  } catch {
    ourOrigin = null;
  }
}

/** Tests only: the origin as if learned (null: not learned yet). */
export function setOwnOriginForTests(origin: string | null): void {
  ourOrigin = origin;
}

/** The stack text without lines that mention `origin`. Pure. */
export function withoutFramesOf(stack: string, origin: string): string {
  let out = '';
  let start = 0;
  while (start <= stack.length) {
    const nl = indexOf(slice(stack, start), '\n');
    const end = nl === -1 ? stack.length : start + nl;
    const line = slice(stack, start, end);
    if (indexOf(line, origin) === -1) out += out === '' && start === 0 ? line : `\n${line}`;
    if (nl === -1) break;
    start = end + 1;
  }
  return out;
}

/** Clean `error.stack` in place if it shows our frames. Never throws. */
export function cleanStack(error: unknown): void {
  if (!isObjectLike(error)) return;
  try {
    // Checked before our own stack is made: with the page's prepareStackTrace, formatting it would run page code.
    if (getOwnPropertyDescriptor(NativeError, 'prepareStackTrace')) return;
    const desc = getOwnPropertyDescriptor(error, 'stack');
    if (!desc) return;
    const origin = ownOrigin();
    if (!origin) return;
    if (desc.get && desc.set) {
      const stack = apply(desc.get, error, []);
      if (typeof stack === 'string' && indexOf(stack, origin) !== -1) apply(desc.set, error, [withoutFramesOf(stack, origin)]);
    } else if ('value' in desc && desc.writable && typeof desc.value === 'string' && indexOf(desc.value, origin) !== -1) {
      (error as { stack: string }).stack = withoutFramesOf(desc.value, origin);
    }
  } catch {
    // Leave the error as it is.
  }
}
