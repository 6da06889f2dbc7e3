import { beforeEach, describe, expect, it } from 'vitest';
import { buildCapture, captureFileName, parseCapture } from '../../../src/panel/model/capture';
import { entry, message, resetSeq, snapshot, T0 } from './fixtures';

beforeEach(resetSeq);

describe('export and import of a capture', () => {
  it('round-trips: the snapshot plus its events', () => {
    const events = [message('{"n":1}', { lastEventId: '1' }), entry('net:response', { status: 429, info: 'GET · 429' })];
    const capture = buildCapture(snapshot(), events);
    const back = parseCapture(JSON.stringify(capture));
    expect(back).toEqual({ ok: true, capture });
  });

  it('names files by time', () => {
    expect(captureFileName(T0)).toMatch(/^sse-capture-\d{8}-\d{6}\.json$/);
  });

  it('says when the file is not JSON, or not a capture', () => {
    const notJson = parseCapture('{oops');
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error).toMatch(/not JSON/);
    const array = parseCapture('[]');
    expect(!array.ok && array.error).toMatch(/not a capture/);
    const version = parseCapture(JSON.stringify({ ...buildCapture(snapshot(), []), schemaVersion: 2 }));
    expect(!version.ok && version.error).toMatch(/schemaVersion is 2/);
  });

  it('says where a field is wrong', () => {
    const capture = buildCapture(snapshot(), [message('a')]);
    const bad = JSON.parse(JSON.stringify(capture));
    bad.events[0].seq = 'x';
    const r = parseCapture(JSON.stringify(bad));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/events\.0\.seq/);
    const bad2 = JSON.parse(JSON.stringify(capture));
    bad2.connections[0].state = 'exploded';
    const r2 = parseCapture(JSON.stringify(bad2));
    expect(!r2.ok && r2.error).toMatch(/connections\.0\.state/);
  });

  it('drops unknown and prototype keys from hostile files', () => {
    const text = JSON.stringify(buildCapture(snapshot(), [message('<img src=x onerror=alert(1)>')])).replace(
      '"schemaVersion":1',
      '"schemaVersion":1,"__proto__":{"polluted":true},"extra":"x"',
    );
    const r = parseCapture(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.capture)).not.toContain('extra');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect((r.capture as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    // Page data stays data: the string is kept as it is, to be rendered as text.
    expect(r.capture.events[0]?.preview).toBe('<img src=x onerror=alert(1)>');
  });

  it('bounds strings and numbers', () => {
    const capture = JSON.parse(JSON.stringify(buildCapture(snapshot(), [message('a')])));
    capture.connections[0].url = 'x'.repeat(5000);
    expect(parseCapture(JSON.stringify(capture)).ok).toBe(false);
    const negative = JSON.parse(JSON.stringify(buildCapture(snapshot(), [message('a')])));
    negative.connections[0].messageCount = -1;
    expect(parseCapture(JSON.stringify(negative)).ok).toBe(false);
    const infinite = JSON.stringify(buildCapture(snapshot(), [message('a')])).replace('"bytes":30', '"bytes":1e400');
    expect(parseCapture(infinite).ok).toBe(false);
  });

  it('round-trips summary entries (message log rate) with their count and first time', () => {
    const events = [
      entry('es:message-summary', { count: 1234, since: T0 - 500, size: 246_800, lastEventId: '99', info: '1,234 messages over 0.50 s, not logged one by one (message log rate)' }),
      entry('lock:request-summary', { count: 7, since: T0 - 10, ref: null }),
    ];
    const capture = buildCapture(snapshot(), events);
    expect(parseCapture(JSON.stringify(capture))).toEqual({ ok: true, capture });
    const bad = JSON.parse(JSON.stringify(capture)) as { events: { count: unknown }[] };
    bad.events[0]!.count = -1;
    expect(parseCapture(JSON.stringify(bad)).ok).toBe(false);
  });

  it('orders events by sequence number', () => {
    const [a, b] = [message('a'), message('b')];
    const r = parseCapture(JSON.stringify(buildCapture(snapshot(), [b!, a!])));
    expect(r.ok && r.capture.events.map((e) => e.preview)).toEqual(['a', 'b']);
  });
});

describe('optional snapshot parts of newer workers', () => {
  it('keeps faults and deep capture through a round trip, validated', () => {
    const fault = {
      id: 'f1', kind: 'refuse', tabId: 1, scope: 'tab', projectKey: 'p1', connectionId: null, remaining: 2, refused: 1,
      retryAfterSec: 10, limit: 5, current: 5, durationMs: null, delayMs: null, pinned: false, createdAt: T0, endsAt: null, description: 'refuse 2',
    };
    const deepCapture = { tabIds: [1], events: [{ tabId: 1, requestId: '7.1', url: 'http://a/sse', kind: 'message', t: T0, type: 'message', preview: '<b>x</b>', source: 'network' }] };
    const capture = { ...buildCapture(snapshot(), [message('a')]), faults: [fault], deepCapture };
    const back = parseCapture(JSON.stringify(capture));
    expect(back).toEqual({ ok: true, capture });
    const bad = { ...capture, faults: [{ ...fault, kind: 'explode' }] };
    const r = parseCapture(JSON.stringify(bad));
    expect(!r.ok && r.error).toMatch(/faults\.0\.kind/);
  });
});
