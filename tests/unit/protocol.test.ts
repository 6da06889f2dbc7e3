import { describe, expect, it } from 'vitest';
import { LIMITS, PAGE_PING, PAGE_SOURCE, PROTOCOL_VERSION, parsePageBatch, parseRelayMessage, readPageBatchHeader, tabIdFromPanelPort } from '../../src/shared/protocol';

const batch = (events: unknown[], extra: object = {}) => JSON.stringify({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, events, dropped: 0, ...extra });

describe('page batches', () => {
  it('accepts well-formed events and counts malformed ones', () => {
    const r = parsePageBatch(
      batch([
        { kind: 'es:create', t: 1, id: 1, url: 'http://x/', withCredentials: false },
        { kind: 'es:create', t: 1, id: -1, url: 'http://x/', withCredentials: false },
        { kind: 'nope', t: 1 },
        null,
        'string',
        { kind: 'es:open', t: 1, id: 1 },
      ]),
    );
    expect(r?.events.map((e) => e.kind)).toEqual(['es:create', 'es:open']);
    expect(r?.invalid).toBe(4);
  });

  it('drops unknown keys, __proto__ and constructor included', () => {
    const raw = `{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"dropped":0,"events":[{"kind":"es:open","t":1,"id":2,"__proto__":{"polluted":true},"constructor":{"x":1},"extra":"y"}]}`;
    const r = parsePageBatch(raw)!;
    expect(r.events).toEqual([{ kind: 'es:open', t: 1, id: 2 }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a wrong envelope, a wrong version, non-JSON and oversize input', () => {
    expect(parsePageBatch(batch([], { source: 'someone-else' }))).toBeNull();
    expect(parsePageBatch(batch([], { v: 99 }))).toBeNull();
    expect(parsePageBatch('{')).toBeNull();
    expect(parsePageBatch(42)).toBeNull();
    expect(parsePageBatch('x'.repeat(LIMITS.maxBatchChars + 1))).toBeNull();
    expect(parsePageBatch(batch(new Array(LIMITS.maxBatchEvents + 1).fill(0)))).toBeNull();
  });

  it('bounds strings', () => {
    const r = parsePageBatch(batch([{ kind: 'es:create', t: 1, id: 1, url: 'x'.repeat(LIMITS.maxUrl + 1), withCredentials: false }]))!;
    expect(r.events).toEqual([]);
    expect(r.invalid).toBe(1);
  });
});

describe('relay messages', () => {
  it('re-validates the events of a batch', () => {
    const body = `{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":2,"dropped":1,"events":[{"kind":"es:open","t":1,"id":1},{"kind":"es:open"}]}`;
    const m = parseRelayMessage({ kind: 'relay:batch', docId: 'd', seq: 4, body, dropped: 2 });
    expect(m).toEqual({ kind: 'relay:batch', docId: 'd', seq: 4, events: [{ kind: 'es:open', t: 1, id: 1 }], invalid: 1, dropped: 3 });
  });
  it('a body that is not a batch counts the events its header claims (at least one) as invalid', () => {
    const head = `{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":7,"dropped":0,"events":[`;
    expect(parseRelayMessage({ kind: 'relay:batch', docId: 'd', seq: 1, body: `${head}{broken`, dropped: 0 })).toEqual({ kind: 'relay:batch', docId: 'd', seq: 1, events: [], invalid: 7, dropped: 0 });
    expect(parseRelayMessage({ kind: 'relay:batch', docId: 'd', seq: 2, body: 'nonsense', dropped: 0 })).toMatchObject({ events: [], invalid: 1 });
    expect(parseRelayMessage({ kind: 'relay:batch', docId: 'd', seq: 3, body: 'x'.repeat(LIMITS.maxBatchChars + 1), dropped: 0 })).toBeNull();
  });
  it('the relay reads a batch header without parsing the events, and only the page script header', () => {
    const head = `{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":12,"dropped":3,"events":[`;
    expect(readPageBatchHeader(`${head}]}`)).toEqual({ count: 12, dropped: 3 });
    expect(readPageBatchHeader(`${head.replace('"n":12', '"n":99999')}]}`)).toEqual({ count: LIMITS.maxBatchEvents, dropped: 3 });
    for (const bad of [42, null, ' ' + head, head.replace(PAGE_SOURCE, 'other'), head.replace(`"v":${PROTOCOL_VERSION}`, '"v":99'), head.replace('"n":12', '"n":-1'), JSON.stringify({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, events: [], dropped: 0 }), head + 'x'.repeat(LIMITS.maxBatchChars)]) {
      expect(readPageBatchHeader(bad)).toBeNull();
    }
    expect(PAGE_PING).toBe(`{"source":"${PAGE_SOURCE}","v":${PROTOCOL_VERSION},"n":0,"dropped":0,"events":[]}`);
  });
  it('panel port names carry the tab id', () => {
    expect(tabIdFromPanelPort('panel:12')).toBe(12);
    expect(tabIdFromPanelPort('panel:-1')).toBeNull();
    expect(tabIdFromPanelPort('sse-relay')).toBeNull();
  });
});

describe('message log rate in settings and page config', () => {
  it('takes 0 (every message) up to the maximum, whole numbers only', async () => {
    const { parseSettingsPatch, parsePageConfig } = await import('../../src/shared/protocol');
    const { LIMITS } = await import('../../src/shared/constants');
    expect(parseSettingsPatch({ messageLogRate: 0 })).toEqual({ ok: true, patch: { messageLogRate: 0 } });
    expect(parseSettingsPatch({ messageLogRate: LIMITS.maxMessageLogRate }).ok).toBe(true);
    expect(parseSettingsPatch({ messageLogRate: LIMITS.maxMessageLogRate + 1 }).ok).toBe(false);
    expect(parseSettingsPatch({ messageLogRate: 1.5 }).ok).toBe(false);
    expect(parseSettingsPatch({ messageLogRate: -1 })).toMatchObject({ ok: false, error: expect.stringContaining('messageLogRate') });
    expect(parsePageConfig({ kind: 'config', previewBytes: 10, messageLogRate: 0 })).toEqual({ kind: 'config', previewBytes: 10, messageLogRate: 0 });
    expect(parsePageConfig({ kind: 'config', previewBytes: 10, messageLogRate: -5 })).toBeNull();
  });

  it('summary page events are validated like any other (count ≥ 1, bounded strings)', async () => {
    const { parsePageBatch } = await import('../../src/shared/protocol');
    const batch = (events: unknown[]) => JSON.stringify({ source: 'sse-connections-page', v: 1, n: events.length, dropped: 0, events });
    const ok = { kind: 'es:message-summary', t: 5, id: 1, count: 3, since: 1, bytes: 30, lastEventId: 'x' };
    expect(parsePageBatch(batch([ok]))?.events).toEqual([ok]);
    const bad = [
      { ...ok, count: 0 },
      { ...ok, lastEventId: 'x'.repeat(10_000) },
      { kind: 'bc:post-summary', t: 5, id: 1, since: 1 },
      { kind: 'bc:receive-summary', t: 5, id: 1, count: 2, since: -1 },
    ];
    expect(parsePageBatch(batch(bad))).toMatchObject({ events: [], invalid: 4 });
  });
});
