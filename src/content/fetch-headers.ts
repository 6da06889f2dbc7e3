/** Pure helpers for fetch-based streams: which responses are SSE, which headers we keep. */
import { LIMITS } from '../shared/constants';
import { apply, indexOf, nullObject, slice, toLowerCase, trim } from './natives';

/** `text/event-stream`, with any parameters and any case. */
export function isEventStream(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const semi = indexOf(contentType, ';');
  const essence = toLowerCase(trim(semi === -1 ? contentType : slice(contentType, 0, semi)));
  return essence === 'text/event-stream';
}

const EXACT = ['content-type', 'cache-control', 'content-encoding', 'retry-after', 'last-event-id', 'connection', 'transfer-encoding'];
const PREFIXES = ['x-', 'ratelimit'];

/** Headers that help explain a stream (limits, retry hints, caching). Names arrive lower-cased from Headers. */
export function isHeaderOfInterest(name: string): boolean {
  for (let i = 0; i < EXACT.length; i++) if (name === EXACT[i]) return true;
  for (let i = 0; i < PREFIXES.length; i++) {
    const prefix = PREFIXES[i] as string;
    if (slice(name, 0, prefix.length) === prefix) return true;
  }
  return false;
}

/** Collects headers of interest, bounded in count and length. */
export class HeaderPicker {
  readonly headers: Record<string, string> = nullObject<Record<string, string>>();
  private count = 0;
  add(name: string, value: string): void {
    if (this.count >= LIMITS.maxHeaders || !isHeaderOfInterest(name)) return;
    const key = slice(name, 0, 128);
    if (!(key in this.headers)) this.count++;
    this.headers[key] = slice(value, 0, LIMITS.maxHeaderValue);
  }
}

const STANDARD_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

/** Normalise a method as fetch does (standard methods upper-cased), bounded. */
export function normalizeMethod(method: unknown): string {
  if (typeof method !== 'string') return 'GET';
  const upper = toUpperCase(method);
  for (let i = 0; i < STANDARD_METHODS.length; i++) if (upper === STANDARD_METHODS[i]) return upper;
  return slice(method, 0, 16);
}

const strToUpperCase = String.prototype.toUpperCase;
function toUpperCase(s: string): string {
  return apply(strToUpperCase, s, []) as string;
}
