/**
 * The fetch-stream parser (eventsource-parser + our decoding and
 * last-event-ID handling) against the WHATWG "parsing an event stream" rules.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSseStream, type SseEvent } from '../../../src/content/sse-stream';

function parse(input: string | Uint8Array, chunks: number[] = []): { events: SseEvent[]; retryMs: number | null } {
  const events: SseEvent[] = [];
  const stream = createSseStream((e) => events.push(e));
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  let offset = 0;
  for (const size of chunks) {
    stream.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  stream.push(bytes.subarray(offset));
  stream.end();
  return { events, retryMs: stream.retryMs };
}

const msg = (data: string, lastEventId = '', type = 'message'): SseEvent => ({ type, data, lastEventId });

describe('WHATWG event stream rules', () => {
  it('dispatches on a blank line, with type message by default', () => {
    expect(parse('data: a\n\n').events).toEqual([msg('a')]);
  });

  it('strips one leading UTF-8 BOM, and only at the start of the stream', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const body = new TextEncoder().encode('data: x\n\n');
    expect(parse(new Uint8Array([...bom, ...body])).events).toEqual([msg('x')]);
    // The BOM split over two chunks is still one BOM.
    expect(parse(new Uint8Array([...bom, ...body]), [1, 1]).events).toEqual([msg('x')]);
    // A second BOM is content: the field name "\uFEFFdata" is unknown, so nothing is dispatched.
    expect(parse(new Uint8Array([...bom, ...bom, ...body])).events).toEqual([]);
  });

  it('accepts CR, LF and CRLF line endings, mixed, and CRLF split across chunks', () => {
    const input = 'data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n';
    expect(parse(input).events).toEqual([msg('cr'), msg('lf'), msg('crlf')]);
    for (let i = 1; i < input.length; i++) {
      expect(parse(input, [i]).events).toEqual([msg('cr'), msg('lf'), msg('crlf')]);
    }
  });

  it('ignores comment lines', () => {
    expect(parse(': hello\ndata: a\n: between\n\n:\n\n').events).toEqual([msg('a')]);
  });

  it('ignores an id field containing NUL, keeping the previous last event ID', () => {
    expect(parse('id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n').events).toEqual([msg('a', '1'), msg('b', '1')]);
  });

  it('keeps the last event ID from one event to the next, and an empty id resets it', () => {
    expect(parse('id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n').events).toEqual([msg('a', '7'), msg('b', '7'), msg('c', '')]);
  });

  it('takes retry only when it is all ASCII digits', () => {
    expect(parse('retry: 1500\n\n').retryMs).toBe(1500);
    expect(parse('retry: 1500\nretry: 15x\n\n').retryMs).toBe(1500);
    expect(parse('retry: -1\n\n').retryMs).toBeNull();
  });

  it('joins multi-line data with LF and drops nothing else', () => {
    expect(parse('data: a\ndata:\ndata:  b\n\n').events).toEqual([msg('a\n\n b')]);
  });

  it('treats a line without a colon as a field name with an empty value', () => {
    // "data" alone adds an empty line of data: the event is dispatched with data "".
    expect(parse('data\n\n').events).toEqual([msg('')]);
    expect(parse('data\ndata\n\n').events).toEqual([msg('\n')]);
    // "event" alone resets the type to the default.
    expect(parse('event\ndata: a\n\n').events).toEqual([msg('a')]);
  });

  it('removes exactly one space after the colon', () => {
    expect(parse('data:no space\n\ndata:  two\n\n').events).toEqual([msg('no space'), msg(' two')]);
  });

  it('uses the event field as the type', () => {
    expect(parse('event: tick\ndata: 1\n\n').events).toEqual([msg('1', '', 'tick')]);
  });

  it('does not dispatch an event without data, nor an event without its blank line at the end', () => {
    expect(parse('event: tick\n\nid: 3\n\n').events).toEqual([]);
    expect(parse('data: complete\n\ndata: unterminated').events).toEqual([msg('complete')]);
    expect(parse('data: unterminated\n').events).toEqual([]);
  });

  it('ignores unknown fields', () => {
    expect(parse('foo: bar\ndata: a\n\n').events).toEqual([msg('a')]);
  });

  it('decodes UTF-8 split anywhere across chunks', () => {
    const input = 'data: héllo ✓ 😀\n\n';
    const bytes = new TextEncoder().encode(input);
    for (let i = 1; i < bytes.length; i++) {
      expect(parse(bytes, [i]).events).toEqual([msg('héllo ✓ 😀')]);
    }
  });

  it('gives the same events however the bytes are chunked (property)', () => {
    const line = fc.oneof(
      fc.constantFrom('data: a', 'data:b', 'data', 'event: t', 'event', 'id: 1', 'id', ': c', 'retry: 5', '', 'x: y'),
      fc.string({ maxLength: 6 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
    );
    const eol = fc.constantFrom('\n', '\r', '\r\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(line, eol), { maxLength: 20 }), fc.array(fc.nat(12), { maxLength: 10 }), (lines, cuts) => {
        const input = lines.map(([l, e]) => l + e).join('');
        const whole = parse(input).events;
        // Make sure a trailing CR is not read as half of a CRLF differently: only compare full parses.
        expect(parse(input, cuts).events).toEqual(whole);
      }),
    );
  });
});
