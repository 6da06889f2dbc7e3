/** Byte lengths and bounded previews of strings, with natives taken at startup. */
import { apply, charCodeAt, getOwnPropertyDescriptor, getPrototypeOf, slice } from './natives';

const encoder = new TextEncoder();
const encode = TextEncoder.prototype.encode;
const encodeInto = TextEncoder.prototype.encodeInto;
const byteLengthGetter = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')
  ?.get as () => number;
/** Scratch space for encodeInto: any string of up to a third of its length fits. */
const scratch = new Uint8Array(64 * 1024);
const SCRATCH_CHARS = scratch.length / 3;

const regExpExec = RegExp.prototype.exec;
/** Not global or sticky: the native exec reads only this instance's own `lastIndex`, never the prototype. */
const NON_ASCII = /[^\u0000-\u007f]/;
/** True when every code unit of `s` is ASCII (one UTF-8 byte each). */
function isAscii(s: string): boolean {
  return apply(regExpExec, NON_ASCII, [s]) === null;
}

/** Length of `s` in UTF-8 bytes (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  if (isAscii(s)) return s.length;
  // The native encoder into a reused buffer: no allocation but its small
  // result record, whose `written` is an own data property (no page code runs).
  if (s.length <= SCRATCH_CHARS) return (apply(encodeInto, encoder, [s, scratch]) as TextEncoderEncodeIntoResult).written;
  return apply(byteLengthGetter, apply(encode, encoder, [s]), []) as number;
}

const subarray = Uint8Array.prototype.subarray;
let view: Uint8Array = scratch;
let viewBytes = -1;

/**
 * The longest prefix of `s` that fits in `maxBytes` UTF-8 bytes, never
 * splitting a surrogate pair. Work is bounded by `maxBytes`, not by `s.length`:
 * the native encoder stops when a `maxBytes` view of the scratch buffer is
 * full, and says how many code units it took (it never writes half a
 * character, and a lone surrogate takes 3 bytes, as U+FFFD).
 */
export function textPreview(s: string, maxBytes: number): string {
  if (s.length <= maxBytes / 3) return s; // fits whatever the characters
  if (!(maxBytes >= 0)) return '';
  // A prefix of maxBytes ASCII characters is exactly maxBytes bytes (only the prefix is scanned).
  const head = slice(s, 0, maxBytes);
  if (isAscii(head)) return head;
  if (maxBytes > scratch.length) return previewByUnits(s, maxBytes);
  if (viewBytes !== maxBytes) {
    view = apply(subarray, scratch, [0, maxBytes]) as Uint8Array;
    viewBytes = maxBytes;
  }
  const read = (apply(encodeInto, encoder, [s, view]) as TextEncoderEncodeIntoResult).read;
  return read >= s.length ? s : slice(s, 0, read);
}

/** The same as `textPreview`, a code unit at a time (previews longer than the scratch buffer). */
export function previewByUnits(s: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = charCodeAt(s, i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(charCodeAt(s, i + 1));
    const b = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes + b > maxBytes) break;
    bytes += b;
    i += pair ? 2 : 1;
  }
  return i >= s.length ? s : slice(s, 0, i);
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
