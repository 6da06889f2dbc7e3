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
import { jsonStringify, numberText, objectKeys } from './natives';

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
  let out = '';
  // Own enumerable keys of our own objects (events are built by the wrappers
  // with data properties only; nested records are null-prototype), so a
  // plain read of each one never reaches a prototype or runs page code.
  const keys = objectKeys(o);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value: unknown = (o as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const text = nested && typeof value === 'object' && value !== null ? record(value, false) : primitive(value);
    // Top-level keys are the wrappers' own field names (plain identifiers);
    // nested keys (header names from the network) are escaped.
    out += `${out.length > 0 ? ',' : ''}${nested ? `"${key}"` : jsonStringify(key)}:${text}`;
  }
  return `{${out}}`;
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
