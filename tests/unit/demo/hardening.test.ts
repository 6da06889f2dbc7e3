/**
 * Hardening of the demo server in memory mode: a burst of simultaneous connects, clients killed
 * abruptly, malformed requests (table and a bounded fuzz loop), clients that never read, the
 * debug endpoint's shape. Redis mode: redis-hardening.test.ts.
 */
import fc from 'fast-check';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { holdStreams } from './children.js';
import { idleClient, rawRequest } from './raw-http.js';
import { openSse, until, type SseReader } from './sse-reader.js';

const HEARTBEAT_MS = 1000;
const MAX_BUFFERED = 64 * 1024;

let server: DemoServer;
const readers: SseReader[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startDemoServer({ port: 0, limit: 5, heartbeatMs: HEARTBEAT_MS, maxBufferedBytes: MAX_BUFFERED, buildPages: false });
});
afterAll(async () => {
  for (const r of readers) r.close();
  for (const s of sockets) s.destroy();
  await server?.close();
});

const streamUrl = (q: string): string => `${server.url}/api/persistent-chat/stream?${q}`;
async function sse(q: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await openSse(streamUrl(q), headers);
  readers.push(r);
  return r;
}
interface DebugBody {
  connections: Array<Record<string, unknown>>;
  count: number;
  limit: number;
}
async function debug(user: string, project: string): Promise<DebugBody> {
  const r = await fetch(`${server.url}/api/debug/sse-connections/${user}/${project}`);
  expect(r.status).toBe(200);
  return (await r.json()) as DebugBody;
}
async function post(project: string, text: string): Promise<Response> {
  return fetch(`${server.url}/api/persistent-chat/messages?projectId=${project}&userId=poster`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}
async function expectJsonError(r: Response, status: number, code?: string): Promise<void> {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await r.json()) as { error: unknown; message: unknown };
  expect(typeof body.error).toBe('string');
  expect(typeof body.message).toBe('string');
  if (code !== undefined) expect(body.error).toBe(code);
}

describe('fifty simultaneous connects with a limit of 5', () => {
  it('admits exactly 5 (counts 1..5, one each), refuses 45 with the seed 429', async () => {
    const attempts = await Promise.all(Array.from({ length: 50 }, () => sse('projectId=burst&userId=u1')));
    const admitted = attempts.filter((r) => r.res.status === 200);
    const refused = attempts.filter((r) => r.res.status === 429);
    expect(admitted).toHaveLength(5);
    expect(refused).toHaveLength(45);
    // every admission saw a different count: no two were decided on the same state
    expect(admitted.map((r) => Number(r.res.headers.get('x-sse-current-connections'))).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const r of refused) {
      expect(r.res.headers.get('x-sse-current-connections')).toBe('5');
      expect(await r.res.json()).toMatchObject({ error: 'too_many_connections', current_connections: 5, max_connections: 5 });
    }
    const d = await debug('u1', 'burst');
    expect(d.count).toBe(5);
    expect(new Set(d.connections.map((c) => c['id'])).size).toBe(5);
    for (const r of admitted) r.close();
    await until(async () => (await debug('u1', 'burst')).count === 0);
  });
});

describe('clients killed abruptly', () => {
  it('a SIGKILLed process holding 5 streams: the count is back to 0 within the heartbeat TTL, and the slots are free', async () => {
    const holder = await holdStreams(streamUrl('projectId=killed&userId=u1'), 5);
    try {
      expect(holder.statuses).toEqual([200, 200, 200, 200, 200]);
      expect((await debug('u1', 'killed')).count).toBe(5);
      expect((await fetch(streamUrl('projectId=killed&userId=u1'))).status).toBe(429);
      await holder.kill(); // no cleanup runs in the child: the server only sees the sockets close
      await until(async () => (await debug('u1', 'killed')).count === 0, 3 * HEARTBEAT_MS);
      const again = await Promise.all(Array.from({ length: 5 }, () => sse('projectId=killed&userId=u1')));
      expect(again.map((r) => r.res.status)).toEqual([200, 200, 200, 200, 200]);
      for (const r of again) r.close();
    } finally {
      await holder.kill();
    }
  }, 90_000);
});

describe('malformed requests get a 4xx with a JSON error, never a crash', () => {
  const body17k = JSON.stringify({ text: 'x'.repeat(17 * 1024) });
  it.each<[string, () => Promise<Response>, number, string]>([
    ['stream: projectId too long', () => fetch(streamUrl(`projectId=${'p'.repeat(65)}&userId=u1`)), 400, 'invalid_project_id'],
    ['stream: userId with a slash', () => fetch(streamUrl('projectId=p&userId=a%2Fb')), 400, 'invalid_user_id'],
    ['stream: empty projectId', () => fetch(streamUrl('projectId=&userId=u1')), 400, 'missing_project_id'],
    ['stream: bad cookie user', () => fetch(streamUrl('projectId=p'), { headers: { Cookie: 'sse_demo_user=%3Cscript%3E' } }), 400, 'invalid_user_id'],
    ['stream: Last-Event-ID not a number', () => fetch(streamUrl('projectId=p&userId=u1'), { headers: { 'Last-Event-ID': 'abc' } }), 400, 'invalid_last_event_id'],
    ['stream: Last-Event-ID negative', () => fetch(streamUrl('projectId=p&userId=u1'), { headers: { 'Last-Event-ID': '-1' } }), 400, 'invalid_last_event_id'],
    ['stream: Last-Event-ID too long', () => fetch(streamUrl('projectId=p&userId=u1'), { headers: { 'Last-Event-ID': '1'.repeat(16) } }), 400, 'invalid_last_event_id'],
    ['stream: ?lastEventId= not a number', () => fetch(streamUrl('projectId=p&userId=u1&lastEventId=1e3')), 400, 'invalid_last_event_id'],
    ['ticker: Last-Event-ID not a number', () => fetch(`${server.url}/api/ticker`, { headers: { 'Last-Event-ID': 'x1' } }), 400, 'invalid_last_event_id'],
    ['stream: PUT', () => fetch(streamUrl('projectId=p&userId=u1'), { method: 'PUT' }), 405, 'method_not_allowed'],
    ['stream: DELETE', () => fetch(streamUrl('projectId=p&userId=u1'), { method: 'DELETE' }), 405, 'method_not_allowed'],
    ['messages: GET', () => fetch(`${server.url}/api/persistent-chat/messages?projectId=p&userId=u1`), 405, 'method_not_allowed'],
    ['debug: POST', () => fetch(`${server.url}/api/debug/sse-connections/u1/p`, { method: 'POST' }), 405, 'method_not_allowed'],
    ['ticker: POST', () => fetch(`${server.url}/api/ticker`, { method: 'POST' }), 405, 'method_not_allowed'],
    ['messages: body over 16 KiB', () => post('p', 'x'.repeat(17 * 1024)), 413, 'body_too_large'],
    [
      'messages: body over 16 KiB, chunked (no Content-Length)',
      () =>
        fetch(`${server.url}/api/persistent-chat/messages?projectId=p&userId=u1`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: new Blob([body17k]).stream(),
          duplex: 'half',
        } as RequestInit),
      413,
      'body_too_large',
    ],
    [
      'messages: text/plain',
      () => fetch(`${server.url}/api/persistent-chat/messages?projectId=p&userId=u1`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' }),
      415,
      'unsupported_media_type',
    ],
    [
      'messages: JSON that is not an object',
      () => fetch(`${server.url}/api/persistent-chat/messages?projectId=p&userId=u1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[1,2]' }),
      400,
      'invalid_body',
    ],
    [
      'messages: invalid UTF-8 / not JSON',
      () =>
        fetch(`${server.url}/api/persistent-chat/messages?projectId=p&userId=u1`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: new Uint8Array([0xff, 0xfe, 0x7b]),
        }),
      400,
      'invalid_json',
    ],
    ['messages: text too long', () => post('p', 'y'.repeat(4001)), 400, 'invalid_body'],
    ['debug: bad userId', () => fetch(`${server.url}/api/debug/sse-connections/%3Cx%3E/p`), 400, 'invalid_user_id'],
    ['debug: broken percent-encoding', () => fetch(`${server.url}/api/debug/sse-connections/%E0%A4%A/p`), 400, 'invalid_path'],
    ['debug: dot-dot as a user', () => fetch(`${server.url}/api/debug/sse-connections/%2E%2E%2F/p`), 400, 'invalid_user_id'],
    ['ticker: size too big', () => fetch(`${server.url}/api/ticker?size=1000001`), 400, 'invalid_parameter'],
    ['unknown API route', () => fetch(`${server.url}/api/nope`), 404, 'not_found'],
  ])('%s', async (_name, call, status, code) => {
    await expectJsonError(await call(), status, code);
  });

  it.each([
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%5c..%5cpackage.json',
    '/%2e%2e%2fpackage.json',
    '/chat.html%00.js',
    '//etc/passwd',
    '/.%2e/.%2e/demo/server/index.ts',
  ])('static file path traversal %s: 404 JSON, nothing outside the roots', async (path) => {
    const r = await rawRequest(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'not_found' });
  });

  it('raw requests Node refuses itself (huge head, bad request line, bad headers) get JSON too', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['header over 16 KiB', `GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      ['URL over 16 KiB', `GET /api/whoami?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large'],
      ['URL over 8 KiB', `GET /api/whoami?q=${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414, 'uri_too_long'],
      ['garbage request line', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
      ['header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n', 400, 'bad_request'],
      ['Content-Length not a number', 'POST /api/persistent-chat/messages?projectId=p&userId=u HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'bad_request'],
      ['bad chunk size', 'POST /api/persistent-chat/messages?projectId=p&userId=u HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, 'bad_request'],
      ['CONNECT (no proxying)', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 405, 'method_not_allowed'],
      ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'bad_request'],
      ['absolute-form target with a bad host', 'GET http://[::1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, ''],
    ];
    for (const [name, req, status, code] of cases) {
      const r = await rawRequest(server.port, req);
      expect([name, r.status]).toEqual([name, status]);
      expect([name, r.headers['content-type']]).toEqual([name, expect.stringMatching(/^application\/json/)]);
      const body = JSON.parse(r.body) as { error: string };
      if (code) expect([name, body.error]).toEqual([name, code]);
    }
    expect((await fetch(`${server.url}/api/whoami`)).status).toBe(200);
  });

  it('a bounded fuzz loop over methods, paths, queries and headers: always an answer, never a 5xx, errors as JSON', async () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_.~-]{0,70}$/);
    const anything = fc.string({ maxLength: 80, unit: 'binary' });
    const segment = fc.oneof(token, anything.map(encodeURIComponent), fc.constantFrom('..', '%2e%2e', '%', '%zz', '%00', '%E0%A4%A'));
    const path = fc.oneof(
      fc.constant('/api/persistent-chat/stream'),
      fc.constant('/api/persistent-chat/messages'),
      fc.tuple(segment, segment).map(([u, p]) => `/api/debug/sse-connections/${u}/${p}`),
      fc.constant('/api/ticker'),
      fc.constant('/api/whoami'),
      segment.map((s) => `/${s}`),
      fc.tuple(segment, segment).map(([a, b]) => `/${a}/${b}`),
    );
    const query = fc.array(fc.tuple(fc.constantFrom('projectId', 'userId', 'lastEventId', 'intervalMs', 'count', 'size', 'event', 'x'), segment), { maxLength: 4 });
    const headerValue = fc.oneof(token, anything.map((s) => s.replace(/[\r\n]/g, '')), fc.constantFrom('', ' ', '-1', '1'.repeat(20), '\u00ff'));
    const headers = fc.array(fc.tuple(fc.constantFrom('Last-Event-ID', 'Cookie', 'Content-Type', 'Origin', 'Accept', 'X-Any'), headerValue), { maxLength: 4 });
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'FOO');
    const body = fc.oneof(fc.constant(''), anything, fc.json());
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, body, async (m, p, q, hs, b) => {
        const qs = q.map(([k, v]) => `${k}=${v}`).join('&');
        const target = qs ? `${p}?${qs}` : p;
        const bodyBuf = Buffer.from(b, 'utf8');
        const head = [`${m} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...hs.map(([k, v]) => `${k}: ${v}`)];
        if (m === 'POST' || m === 'PUT' || m === 'PATCH') head.push(`Content-Length: ${bodyBuf.length}`);
        const req = Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), m === 'POST' || m === 'PUT' || m === 'PATCH' ? bodyBuf : Buffer.alloc(0)]);
        const r = await rawRequest(server.port, req, 5000);
        answered += 1;
        expect(r.status, `${m} ${target}`).toBeLessThan(500);
        if (r.status >= 400 && m !== 'HEAD') {
          expect(r.headers['content-type'], `${m} ${target}`).toMatch(/^application\/json/);
          expect(typeof (JSON.parse(r.body) as { error: unknown }).error).toBe('string');
        }
      }),
      { numRuns: 300, seed: 20261129, endOnFailure: true },
    );
    expect(answered).toBe(300);
    expect((await fetch(`${server.url}/api/whoami`)).status).toBe(200);
  }, 120_000);
});

describe('clients that send slowly', () => {
  it('a request head or body that never completes gets 408 JSON; a stream outlives the request timeout', async () => {
    const slow = await startDemoServer({ port: 0, limit: 5, heartbeatMs: 200, headersTimeoutMs: 500, requestTimeoutMs: 1000, buildPages: false });
    try {
      const head = await rawRequest(slow.port, 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n', 10_000);
      expect(head.status).toBe(408);
      expect(JSON.parse(head.body)).toMatchObject({ error: 'request_timeout' });
      const body = await rawRequest(
        slow.port,
        'POST /api/persistent-chat/messages?projectId=p&userId=u HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text":',
        10_000,
      );
      expect(body.status).toBe(408);
      expect(JSON.parse(body.body)).toMatchObject({ error: 'request_timeout' });
      const stream = await openSse(`${slow.url}/api/persistent-chat/stream?projectId=p&userId=u`);
      readers.push(stream);
      await new Promise((r) => setTimeout(r, 2500));
      expect(stream.ended).toBe(false);
      const before = stream.comments.length;
      await stream.waitFor(() => stream.comments.length > before);
      expect((await fetch(`${slow.url}/api/whoami`)).status).toBe(200);
    } finally {
      await slow.close();
    }
  }, 30_000);
});

describe('clients that never read', () => {
  it('chat streams: each is dropped once its unsent output passes the bound; memory stays bounded; others are served', async () => {
    const IDLE = 12;
    // 2600 control characters are 15600 bytes of JSON escapes (the body limit is 16 KiB)
    const TEXT = '\u0001'.repeat(2600);
    const FRAME = 16 * 1024;
    for (let i = 0; i < IDLE; i += 1) sockets.push(await idleClient(server.port, `/api/persistent-chat/stream?projectId=idle&userId=idle${i}`));
    const reader = await sse('projectId=idle&userId=reader');
    await until(() => server.stats().streams >= IDLE + 1);
    const dropped0 = server.stats().dropped;
    let posted = 0;
    let maxBuffered = 0;
    const deadline = Date.now() + 60_000;
    // about 4 MB per stuck socket go into kernel buffers first: some 260 frames until the bound
    while (server.stats().dropped - dropped0 < IDLE && posted < 800 && Date.now() < deadline) {
      const batch = await Promise.all(Array.from({ length: 5 }, () => post('idle', TEXT)));
      for (const r of batch) expect(r.status).toBe(201);
      posted += batch.length;
      maxBuffered = Math.max(maxBuffered, server.stats().bufferedBytes);
      expect(server.stats().bufferedBytes).toBeLessThanOrEqual((IDLE + 1) * (MAX_BUFFERED + FRAME));
      // the server keeps answering other requests
      expect((await fetch(`${server.url}/api/whoami`)).status).toBe(200);
    }
    console.log(`[idle chat] ${posted} frames of ${FRAME} B posted; max unsent ${maxBuffered} B; dropped ${server.stats().dropped - dropped0}`);
    expect(server.stats().dropped - dropped0).toBe(IDLE);
    for (let i = 0; i < IDLE; i += 1) expect((await debug(`idle${i}`, 'idle')).count).toBe(0);
    // the reader was not dropped and got everything
    await reader.waitFor(() => reader.events.length === posted, 20_000);
    expect((await debug('reader', 'idle')).count).toBe(1);
    expect(server.stats().streams).toBe(1);
    reader.close();
  }, 120_000);

  it('ticker streams: dropped the same way, and their timers stop', async () => {
    const IDLE = 8;
    const dropped0 = server.stats().dropped;
    for (let i = 0; i < IDLE; i += 1) sockets.push(await idleClient(server.port, '/api/ticker?intervalMs=1&size=60000'));
    await until(() => server.stats().dropped - dropped0 === IDLE && server.stats().tickers === 0, 60_000);
    expect((await fetch(`${server.url}/api/whoami`)).status).toBe(200);
  }, 90_000);
});

describe('server view: GET /api/debug/sse-connections/:userId/:projectId', () => {
  it('answers { connections: [{ id, openedAt, instanceId, ... }], count, limit }, oldest first', async () => {
    await sse('projectId=view&userId=v1', { 'Last-Event-ID': '0', 'User-Agent': 'hardening-test' });
    await new Promise((r) => setTimeout(r, 5));
    await sse('projectId=view&userId=v1');
    const body = await debug('v1', 'view');
    expect(Object.keys(body).sort()).toEqual(['connections', 'count', 'limit']);
    expect(body.count).toBe(2);
    expect(body.limit).toBe(5);
    expect(body.connections).toHaveLength(2);
    for (const c of body.connections) {
      expect(c['id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(String(c['openedAt'])).toISOString()).toBe(c['openedAt']);
      expect(c['instanceId']).toBe(server.instanceId);
      expect(c).toMatchObject({ userId: 'v1', projectId: 'view' });
    }
    expect(body.connections[0]).toMatchObject({ lastEventId: '0', userAgent: 'hardening-test' });
    expect(String(body.connections[0]!['openedAt']) <= String(body.connections[1]!['openedAt'])).toBe(true);
    expect(await debug('nobody', 'view')).toEqual({ connections: [], count: 0, limit: 5 });
  });
});

describe('streams', () => {
  it('a Last-Event-ID ahead of the sequence (issued before a restart) does not silence the stream', async () => {
    for (const t of ['a', 'b']) expect((await post('ahead', t)).status).toBe(201);
    const r = await sse('projectId=ahead&userId=u1', { 'Last-Event-ID': '500' });
    expect(r.res.status).toBe(200);
    expect((await post('ahead', 'after')).status).toBe(201);
    await r.waitFor(() => r.events.length === 1);
    expect(r.events[0]!.id).toBe('3');
    expect(JSON.parse(r.events[0]!.data)).toMatchObject({ text: 'after' });
  });

  it('an instance holding its maximum of streams (chat, ticker) answers 503 server_busy with JSON', async () => {
    const small = await startDemoServer({ port: 0, limit: 5, maxStreams: 2, buildPages: false });
    const mine: SseReader[] = [];
    try {
      mine.push(await openSse(`${small.url}/api/persistent-chat/stream?projectId=p&userId=a`));
      mine.push(await openSse(`${small.url}/api/persistent-chat/stream?projectId=q&userId=b`));
      const r = await fetch(`${small.url}/api/persistent-chat/stream?projectId=r&userId=c`);
      await expectJsonError(r, 503, 'server_busy');
      expect(r.headers.get('retry-after')).not.toBeNull();
      // tickers have their own cap of the same size
      mine.push(await openSse(`${small.url}/api/ticker?intervalMs=1000`));
      mine.push(await openSse(`${small.url}/api/ticker?intervalMs=1000`));
      await expectJsonError(await fetch(`${small.url}/api/ticker?intervalMs=1000`), 503, 'server_busy');
    } finally {
      for (const m of mine) m.close();
      await small.close();
    }
  });
});
