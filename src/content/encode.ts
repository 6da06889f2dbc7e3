/**
 * Serialise page events and batches by hand.
 *
 * `JSON.stringify` on our own objects would look up `toJSON` on
 * `Object.prototype` and `Array.prototype`, where a page can put a getter and
 * watch (or change) our traffic. Page events are flat records of strings,
 * numbers and booleans, plus one level of string records (`headers`), so the
 * encoder walks own keys and only ever stringifies primitives.
 */
import { PAGE_SOURCE, PROTOCOL_VERSION } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { getOwnPropertyDescriptor, jsonStringify, numberText, ownKeys } from './natives';

function primitive(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return jsonStringify(v);
    case 'number':
      return v === v && v !== Infinity && v !== -Infinity ? numberText(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return 'null';
  }
}

function record(o: object, nested: boolean): string {
  let out = '{';
  const keys = ownKeys(o);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (typeof key !== 'string') continue;
    const desc = getOwnPropertyDescriptor(o, key);
    if (!desc || !('value' in desc) || desc.value === undefined) continue;
    const value: unknown = desc.value;
    const text = nested && typeof value === 'object' && value !== null ? record(value, false) : primitive(value);
    out += `${out.length > 1 ? ',' : ''}${jsonStringify(key)}:${text}`;
  }
  return `${out}}`;
}

/** JSON of one page event. */
export function encodeEvent(event: PageEvent): string {
  return record(event, true);
}

/**
 * JSON of a PageBatch from `count` already encoded events. The header
 * (source, version, count, dropped) comes first, in this order, so the relay
 * can read it without parsing the events (protocol.ts `readPageBatchHeader`).
 */
export function encodeBatch(encodedEvents: string, count: number, dropped: number): string {
  return `{"source":${jsonStringify(PAGE_SOURCE)},"v":${numberText(PROTOCOL_VERSION)},"n":${numberText(count)},"dropped":${numberText(dropped)},"events":[${encodedEvents}]}`;
}
