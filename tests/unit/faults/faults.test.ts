import { describe, expect, it } from 'vitest';
import { DeepModel } from '../../../src/background/deep-capture';
import { Faults, ONE_SHOT_TTL_MS, parseConnectionId } from '../../../src/background/faults';
import { createRelay, type PortLike } from '../../../src/content/relay-core';
import {
  PAGE_SOURCE,
  PROTOCOL_VERSION,
  parsePageConfig,
  parsePageFaultHit,
  parseRelayFaultHit,
  parseRuntimeRequest,
  type FaultSpec,
} from '../../../src/shared/protocol';

const QP = ['projectId'];
const DOC = 'abcdef12-3456-7890-abcd-ef1234567890';
const OTHER_DOC = '99999999-3456-7890-abcd-ef1234567890';

function setup() {
  let now = 1000;
  let n = 0;
  const faults = new Faults({ now: () => now, newId: () => `f${++n}` });
  let changes = 0;
  faults.onChange(() => changes++);
  const spec = (s: Partial<FaultSpec> & Pick<FaultSpec, 'kind' | 'tabId'>): FaultSpec => ({ scope: 'tab', pinned: false, ...s });
  return { faults, spec, advance: (ms: number) => (now += ms), changes: () => changes };
}

describe('Faults (worker)', () => {
  it('refuse: counts down per attempt, per document, and ends when used up; HEAD probes consume nothing', () => {
    const { faults, spec } = setup();
    const r = faults.add(spec({ kind: 'refuse', tabId: 3, scope: 'project', projectKey: 'p', count: 2, retryAfterSec: 4 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.fault).toMatchObject({ remaining: 2, retryAfterSec: 4, limit: 5, current: 5, scope: 'project', projectKey: 'p' });
    // Project-wide: every document is told, with the queryParams of the rules.
    expect(faults.forDocument(7, OTHER_DOC, QP)).toEqual([
      expect.objectContaining({ id: 'f1', kind: 'refuse', projectKey: 'p', queryParams: QP, remaining: 2, retryAfterSec: 4 }),
    ]);
    faults.hit(7, OTHER_DOC, { id: 'f1', what: 'head' });
    expect(faults.list()[0]?.remaining).toBe(2);
    faults.hit(7, OTHER_DOC, { id: 'f1', what: 'eventsource' });
    expect(faults.list()[0]).toMatchObject({ remaining: 1, refused: 1 });
    // The document that used one still sees 2 (it subtracts its own hits); another sees 1.
    expect(faults.forDocument(7, OTHER_DOC, QP)[0]?.remaining).toBe(2);
    expect(faults.forDocument(3, DOC, QP)[0]?.remaining).toBe(1);
    faults.hit(3, DOC, { id: 'f1', what: 'fetch' });
    expect(faults.list()).toEqual([]);
  });

  it('tab scope: only documents of that tab; unknown or forged hits change nothing', () => {
    const { faults, spec, changes } = setup();
    faults.add(spec({ kind: 'refuse', tabId: 3, count: 1 }));
    expect(faults.forDocument(4, DOC, QP)).toEqual([]);
    expect(faults.forDocument(3, DOC, QP)).toHaveLength(1);
    const before = changes();
    faults.hit(4, DOC, { id: 'f1', what: 'eventsource' }); // another tab cannot use it up
    faults.hit(3, DOC, { id: 'nope', what: 'eventsource' });
    expect(changes()).toBe(before);
    expect(faults.list()[0]?.remaining).toBe(1);
  });

  it('drop / end / delay need a connection of that tab and reach only its document', () => {
    const { faults, spec } = setup();
    expect(faults.add(spec({ kind: 'drop', tabId: 3 }))).toMatchObject({ ok: false });
    expect(faults.add(spec({ kind: 'drop', tabId: 3, connectionId: '4.abcdef12.7' }))).toMatchObject({ ok: false });
    expect(faults.add(spec({ kind: 'delay', tabId: 3, connectionId: '3.abcdef12.7' }))).toMatchObject({ ok: false }); // no delayMs
    const r = faults.add(spec({ kind: 'drop', tabId: 3, connectionId: '3.abcdef12.7' }));
    expect(r.ok).toBe(true);
    expect(faults.forDocument(3, DOC, QP)).toEqual([expect.objectContaining({ kind: 'drop', conn: 7 })]);
    expect(faults.forDocument(3, OTHER_DOC, QP)).toEqual([]);
    faults.hit(3, DOC, { id: 'f1', what: 'drop' });
    expect(faults.list()).toEqual([]);
  });

  it('a one-shot nobody applied, and a hold, end by themselves', () => {
    const { faults, spec, advance } = setup();
    faults.add(spec({ kind: 'end', tabId: 3, connectionId: '3.abcdef12.1' }));
    faults.add(spec({ kind: 'hold', tabId: 3, durationMs: 2000 }));
    expect(faults.forDocument(3, DOC, QP).find((f) => f.kind === 'hold')?.until).toBe(3000);
    advance(1999);
    faults.tick();
    expect(faults.list().map((f) => f.kind)).toEqual(['end', 'hold']);
    advance(1);
    faults.tick();
    expect(faults.list().map((f) => f.kind)).toEqual(['end']);
    advance(ONE_SHOT_TTL_MS);
    faults.tick();
    expect(faults.list()).toEqual([]);
  });

  it('hold and delay stay within the tab (no project scope)', () => {
    const { faults, spec } = setup();
    const r = faults.add(spec({ kind: 'hold', tabId: 3, scope: 'project', projectKey: 'p', durationMs: 100 }));
    expect(r.ok && r.fault.scope).toBe('tab');
    expect(faults.forDocument(4, DOC, QP)).toEqual([]);
  });

  it('the last panel closing ends unpinned faults of its tab; pinned ones stay until cleared', () => {
    const { faults, spec } = setup();
    faults.add(spec({ kind: 'refuse', tabId: 3 }));
    faults.add(spec({ kind: 'refuse', tabId: 3, pinned: true }));
    faults.add(spec({ kind: 'refuse', tabId: 4 }));
    faults.panelClosed(3);
    expect(faults.list().map((f) => [f.tabId, f.pinned])).toEqual([
      [3, true],
      [4, false],
    ]);
    expect(faults.clear({ tabId: 3 })).toBe(1);
    expect(faults.clear({ id: 'f3' })).toBe(1);
    expect(faults.clear()).toBe(0);
  });

  it('descriptions say what is injected', () => {
    const { faults, spec } = setup();
    const r = faults.add(spec({ kind: 'refuse', tabId: 3, scope: 'project', projectKey: 'chat', count: 2, retryAfterSec: 5 }));
    expect(r.ok && r.fault.description).toBe('refusing the next 2 SSE connection attempt(s) of project chat with 429, Retry-After 5 s');
  });

  it('parses connection ids of the snapshot', () => {
    expect(parseConnectionId('12.abcdef12.7')).toEqual({ tabId: 12, docPrefix: 'abcdef12', conn: 7 });
    expect(parseConnectionId('12.abc.x')).toBeNull();
    expect(parseConnectionId('__proto__')).toBeNull();
  });
});

describe('protocol: fault messages', () => {
  it('validates requests (bounds, kinds)', () => {
    expect(parseRuntimeRequest({ kind: 'fault:add', fault: { kind: 'refuse', tabId: 1, count: 2 } })).toMatchObject({
      fault: { kind: 'refuse', tabId: 1, count: 2, scope: 'tab', pinned: false },
    });
    expect(parseRuntimeRequest({ kind: 'fault:add', fault: { kind: 'refuse', tabId: 1, count: 0 } })).toBeNull();
    expect(parseRuntimeRequest({ kind: 'fault:add', fault: { kind: 'explode', tabId: 1 } })).toBeNull();
    expect(parseRuntimeRequest({ kind: 'fault:add', fault: { kind: 'hold', tabId: 1, durationMs: 10 * 60 * 1000 + 1 } })).toBeNull();
    expect(parseRuntimeRequest({ kind: 'fault:clear' })).toEqual({ kind: 'fault:clear' });
    expect(parseRuntimeRequest({ kind: 'deep:start', tabId: -1 })).toBeNull();
  });

  it('a page config keeps its fault list; a fault hit from the page is parsed strictly', () => {
    const config = parsePageConfig({
      kind: 'config',
      previewBytes: 10,
      faults: [
        {
          id: 'f1',
          kind: 'refuse',
          projectKey: null,
          queryParams: ['projectId'],
          conn: null,
          remaining: 1,
          retryAfterSec: 2,
          limit: 5,
          current: 5,
          until: 0,
          delayMs: 0,
          description: 'x',
          extra: 'dropped',
        },
      ],
    });
    expect(config?.faults?.[0]).not.toHaveProperty('extra');
    const hit = JSON.stringify({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, faultHit: { id: 'f1', what: 'head', url: 'http://x/' } });
    expect(parsePageFaultHit(hit)).toEqual({ id: 'f1', what: 'head', url: 'http://x/' });
    expect(parsePageFaultHit(hit.replace('head', 'boom'))).toBeNull();
    expect(parseRelayFaultHit({ kind: 'relay:fault-hit', docId: 'd', id: 'f1', what: 'fetch', url: '' })).not.toBeNull();
  });
});

describe('relay: fault hits', () => {
  it('forwards a hit after hello, opening the port if needed, and passes faults to the page', () => {
    const ports: { sent: unknown[]; deliver: (m: unknown) => void }[] = [];
    const toPage: string[] = [];
    const relay = createRelay({
      connect: () => {
        const listeners: ((m: unknown) => void)[] = [];
        const port = {
          sent: [] as unknown[],
          postMessage(m: unknown) {
            port.sent.push(m);
          },
          disconnect() {},
          onMessage: { addListener: (l: (m: unknown) => void) => void listeners.push(l) },
          onDisconnect: { addListener: () => undefined },
          deliver: (m: unknown) => listeners.forEach((l) => l(m)),
        };
        ports.push(port);
        return port as PortLike;
      },
      docId: 'doc-1',
      url: () => 'http://x/',
      title: () => '',
      toPage: (json) => toPage.push(json),
      setTimer: () => undefined,
    });
    relay.fromPage(JSON.stringify({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, faultHit: { id: 'f1', what: 'eventsource', url: 'http://x/s' } }));
    expect(ports).toHaveLength(1);
    expect(ports[0]!.sent.map((m) => (m as { kind: string }).kind)).toEqual(['relay:hello', 'relay:fault-hit']);
    expect(ports[0]!.sent[1]).toEqual({ kind: 'relay:fault-hit', docId: 'doc-1', id: 'f1', what: 'eventsource', url: 'http://x/s' });
    expect(relay.stats.rejected).toBe(0);
    ports[0]!.deliver({ kind: 'config', previewBytes: 100, faults: [] });
    expect(JSON.parse(toPage.at(-1)!)).toEqual({ kind: 'config', previewBytes: 100, faults: [] });
  });
});

describe('deep capture: CDP events to the model', () => {
  it('keeps SSE responses and every EventSource message (named ones too), and their end', () => {
    let t = 0;
    const m = new DeepModel(() => ++t);
    m.apply(5, { method: 'Network.requestWillBeSent', params: { requestId: 'r1', type: 'EventSource', request: { url: 'http://x/s', headers: {} } } });
    m.apply(5, { method: 'Network.requestWillBeSent', params: { requestId: 'r2', type: 'Script', request: { url: 'http://x/a.js', headers: {} } } });
    expect(m.apply(5, { method: 'Network.responseReceived', params: { requestId: 'r2', response: { status: 200, headers: {}, mimeType: 'text/javascript' } } })).toBe(false);
    m.apply(5, {
      method: 'Network.responseReceived',
      params: { requestId: 'r1', type: 'EventSource', response: { url: 'http://x/s', status: 200, headers: { 'Content-Type': 'text/event-stream', 'X-SSE-Connection-Limit': '5' }, mimeType: 'text/event-stream' } },
    });
    m.apply(5, { method: 'Network.eventSourceMessageReceived', params: { requestId: 'r1', eventName: 'tick', eventId: '7', data: 'hi' } });
    m.apply(5, { method: 'Network.eventSourceMessageReceived', params: { requestId: 'r1', eventName: '', eventId: '', data: 'x' } });
    m.apply(5, { method: 'Network.loadingFailed', params: { requestId: 'r1' } });
    expect(m.events).toEqual([
      { tabId: 5, requestId: 'r1', url: 'http://x/s', kind: 'response', t: 1, status: 200, headers: { 'content-type': 'text/event-stream', 'x-sse-connection-limit': '5' }, source: 'network' },
      { tabId: 5, requestId: 'r1', url: 'http://x/s', kind: 'message', t: 2, type: 'tick', preview: 'hi', lastEventId: '7', source: 'network' },
      { tabId: 5, requestId: 'r1', url: 'http://x/s', kind: 'message', t: 3, type: 'message', preview: 'x', lastEventId: '', source: 'network' },
      { tabId: 5, requestId: 'r1', url: 'http://x/s', kind: 'end', t: 4, source: 'network' },
    ]);
  });

  it('recognises a fetch stream by its Accept header or its content type', () => {
    const m = new DeepModel(() => 0);
    m.apply(1, { method: 'Network.requestWillBeSent', params: { requestId: 'a', type: 'Fetch', request: { url: 'http://x/f', headers: { Accept: 'text/event-stream' } } } });
    m.apply(1, { method: 'Network.responseReceived', params: { requestId: 'a', type: 'Fetch', response: { status: 429, headers: { 'Retry-After': '3' }, mimeType: 'application/json' } } });
    expect(m.events.map((e) => [e.kind, e.status, e.headers?.['retry-after']])).toEqual([['response', 429, '3']]);
  });
});
