/** Byte lengths and bounded previews of strings, with natives taken at startup. */
import { apply, charCodeAt, getOwnPropertyDescriptor, getPrototypeOf, slice } from './natives';

const encoder = new TextEncoder();
const encode = TextEncoder.prototype.encode;
const byteLengthGetter = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')
  ?.get as () => number;

/** Length of `s` in UTF-8 bytes (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  // Short strings: count without allocating.
  if (s.length < 256) {
    let n = 0;
    for (let i = 0; i < s.length; i++) n += unitBytes(s, i);
    return n;
  }
  return apply(byteLengthGetter, apply(encode, encoder, [s]), []) as number;
}

/** UTF-8 bytes that the code unit at `i` contributes (a surrogate pair counts 4 on its first half). */
function unitBytes(s: string, i: number): number {
  const c = charCodeAt(s, i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = charCodeAt(s, i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 3;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = i > 0 ? charCodeAt(s, i - 1) : 0;
    return prev >= 0xd800 && prev <= 0xdbff ? 0 : 3;
  }
  return 3;
}

/**
 * The longest prefix of `s` that fits in `maxBytes` UTF-8 bytes, never
 * splitting a surrogate pair. Work is bounded by `maxBytes`, not by `s.length`.
 */
export function textPreview(s: string, maxBytes: number): string {
  if (s.length <= maxBytes / 3) return s; // fits whatever the characters
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
