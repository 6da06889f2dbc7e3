/**
 * Stack frames: which of them belong to the user's test, and where a frame
 * points. Pure, so that it is unit-tested.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stack frames of whoever called into this module (the user's test). */
export function callerFrames(stack: string | undefined, ...dirs: string[]): string[] {
  return (stack ?? '')
    .split('\n')
    .slice(1)
    .filter((l) => /^\s+at /.test(l) && !dirs.some((d) => l.includes(d + '/') || l.includes(d + path.sep)));
}

/** `{ file, line, column }` of a stack frame line. */
export function frameLocation(frame: string | undefined): { file: string; line: number; column: number } | undefined {
  const m = frame ? /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  if (!m || !m[1]) return undefined;
  const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
  return { file, line: Number(m[2]), column: Number(m[3]) };
}
