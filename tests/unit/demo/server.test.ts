/** The demo server's HTTP contract (the seed's), against the real server on a free port. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { openSse, until, type SseReader } from './sse-reader.js';

let server: DemoServer;
const open: SseReader[] = [];
beforeAll(async () => {
  server = await startDemoServer({ port: 0, limit: 2, retryAfterSec: 10, heartbeatMs: 100, buildPages: false });
});
afterAll(async () => {
  for (const r of open) r.close();
  await server.close();
});

const stream = (q: string): string => `${server.url}/api/persistent-chat/stream?${q}`;
async function sse(q: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await openSse(stream(q), headers);
  open.push(r);
  return r;
}
async function count(user: string, project: string): Promise<number> {
  return ((await (await fetch(`${server.url}/api/debug/sse-connections/${user}/${project}`)).json()) as { count: number }).count;
}
async function post(project: string, body: unknown, ctype = 'application/json'): Promise<Response> {
  return fetch(`${server.url}/api/persistent-chat/messages?projectId=${project}&userId=poster`, {
    method: 'POST',
    headers: { 'Content-Type': ctype },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('stream and limit', () => {
  it('admits up to the limit, then refuses with the seed 429: headers and JSON body', async () => {
    const a = await sse('projectId=lim&userId=u1');
    const b = await sse('projectId=lim&userId=u1');
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(b.res.status).toBe(200);
    const c = await fetch(stream('projectId=lim&userId=u1'));
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBe('10');
    expect(c.headers.get('x-sse-connection-limit')).toBe('2');
    expect(c.headers.get('x-sse-current-connections')).toBe('2');
    expect(await c.json()).toEqual({
      error: 'too_many_connections',
      message: 'SSE connection limit exceeded. Maximum 2 connections allowed per user/project.',
      current_connections: 2,
      max_connections: 2,
      retry_after_ms: 10000,
      recommendation: 'Close other chat windows or switch this tab to follower mode',
    });
    // per user and per project
    expect((await sse('projectId=lim&userId=u2')).res.status).toBe(200);
    expect((await sse('projectId=lim2&userId=u1')).res.status).toBe(200);
    // closing one frees a slot
    a.close();
    await until(async () => (await count('u1', 'lim')) === 1);
    expect((await sse('projectId=lim&userId=u1')).res.status).toBe(200);
  });

  it('HEAD answers 200 or 429 with the headers and opens nothing', async () => {
    const h1 = await fetch(stream('projectId=head&userId=u1'), { method: 'HEAD' });
    expect(h1.status).toBe(200);
    expect(h1.headers.get('x-sse-current-connections')).toBe('0');
    expect(await count('u1', 'head')).toBe(0);
    await sse('projectId=head&userId=u1');
    await sse('projectId=head&userId=u1');
    const h2 = await fetch(stream('projectId=head&userId=u1'), { method: 'HEAD' });
    expect(h2.status).toBe(429);
    expect(h2.headers.get('retry-after')).toBe('10');
    expect(h2.headers.get('x-sse-connection-limit')).toBe('2');
    expect(await count('u1', 'head')).toBe(2);
  });

  it('debug endpoint lists connections with id, openedAt, instanceId and a count', async () => {
    await sse('projectId=dbg&userId=u9');
    const body = (await (await fetch(`${server.url}/api/debug/sse-connections/u9/dbg`)).json()) as {
      connections: Array<Record<string, unknown>>;
      count: number;
    };
    expect(body.count).toBe(1);
    expect(body.connections[0]).toMatchObject({ userId: 'u9', projectId: 'dbg' });
    expect(typeof body.connections[0]!['id']).toBe('string');
    expect(Number.isNaN(Date.parse(String(body.connections[0]!['openedAt'])))).toBe(false);
    expect(typeof body.connections[0]!['instanceId']).toBe('string');
  });

  it('takes the user from the cookie the demo pages set', async () => {
    const page = await fetch(`${server.url}/basic.html`);
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sse_demo_user=u-[0-9a-f]+;/);
    const user = /^sse_demo_user=([^;]+)/.exec(cookie)![1]!;
    const r = await sse('projectId=cookie', { Cookie: `sse_demo_user=${user}` });
    expect(r.res.status).toBe(200);
    expect(await count(user, 'cookie')).toBe(1);
  });
});

describe('messages, ids, replay, heartbeat', () => {
  it('broadcasts POSTed messages with increasing ids, and replays after Last-Event-ID', async () => {
    const live = await sse('projectId=chat&userId=u1');
    const ids: number[] = [];
    for (const text of ['one', 'two', 'three']) {
      const r = await post('chat', { text });
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { id: number }).id);
    }
    expect(ids).toEqual([ids[0], ids[0]! + 1, ids[0]! + 2]);
    await live.waitFor(() => live.events.length === 3);
    expect(live.events.map((e) => [e.id, JSON.parse(e.data).text])).toEqual(ids.map((id, i) => [String(id), ['one', 'two', 'three'][i]]));
    expect(JSON.parse(live.events[0]!.data)).toMatchObject({ userId: 'poster' });
    live.close();

    const byHeader = await sse('projectId=chat&userId=u2', { 'Last-Event-ID': String(ids[0]) });
    await byHeader.waitFor(() => byHeader.events.length === 2);
    expect(byHeader.events.map((e) => e.id)).toEqual([String(ids[1]), String(ids[2])]);
    const byParam = await sse(`projectId=chat&userId=u3&lastEventId=${ids[1]}`);
    await byParam.waitFor(() => byParam.events.length === 1);
    expect(byParam.events.map((e) => e.id)).toEqual([String(ids[2])]);
  });

  it('sends a comment heartbeat', async () => {
    const r = await sse('projectId=hb&userId=u1');
    await r.waitFor(() => r.comments.some((c) => c.includes('heartbeat')));
  });
});

describe('bad input gets 400 with a JSON error', () => {
  it.each([
    ['GET stream without projectId', () => fetch(stream('userId=u1')), 'missing_project_id'],
    ['GET stream with a bad projectId', () => fetch(stream('projectId=a%20b&userId=u1')), 'invalid_project_id'],
    ['GET stream without user', () => fetch(stream('projectId=p')), 'missing_user_id'],
    ['GET stream with a bad userId', () => fetch(stream('projectId=p&userId=%3Cx%3E')), 'invalid_user_id'],
    ['POST without text', () => post('p', { nope: 1 }), 'invalid_body'],
    ['POST with broken JSON', () => post('p', '{"text":'), 'invalid_json'],
    ['ticker with a bad interval', () => fetch(`${server.url}/api/ticker?intervalMs=abc`), 'invalid_parameter'],
    ['ticker with a bad event name', () => fetch(`${server.url}/api/ticker?event=a%0Ab`), 'invalid_parameter'],
  ])('%s', async (_name, call, code) => {
    const r = await call();
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await r.json()) as { error: string }).error).toBe(code);
  });

  it('HEAD with bad input is a 400 too, and POST needs JSON', async () => {
    expect((await fetch(stream('userId=u1'), { method: 'HEAD' })).status).toBe(400);
    expect((await post('p', 'text=hi', 'application/x-www-form-urlencoded')).status).toBe(415);
  });
});

describe('CORS', () => {
  it('reflects the origin with credentials and exposes the rate-limit headers', async () => {
    await sse('projectId=cors&userId=u1');
    await sse('projectId=cors&userId=u1');
    const r = await fetch(stream('projectId=cors&userId=u1'), { headers: { Origin: 'http://elsewhere.test' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://elsewhere.test');
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    const exposed = (r.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['Retry-After', 'X-SSE-Connection-Limit', 'X-SSE-Current-Connections']));
    const pre = await fetch(stream('projectId=cors'), {
      method: 'OPTIONS',
      headers: { Origin: 'http://elsewhere.test', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'last-event-id' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Last-Event-ID/i);
  });
});

describe('ticker and basic page (for the extension tests)', () => {
  it('numbers messages with ids, names events, pads data, is not limited', async () => {
    const readers = await Promise.all([1, 2, 3, 4].map(() => openSse(`${server.url}/api/ticker?intervalMs=10&count=3&event=tick&size=200`)));
    open.push(...readers);
    for (const r of readers) expect(r.res.status).toBe(200);
    const r = readers[0]!;
    await r.waitFor(() => r.events.length === 3);
    expect(r.events.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(r.events.every((e) => e.event === 'tick')).toBe(true);
    expect(JSON.parse(r.events[2]!.data).n).toBe(3);
    expect(r.events[0]!.data.length).toBeGreaterThanOrEqual(190);
    const done = await fetch(`${server.url}/api/ticker?count=3`, { headers: { 'Last-Event-ID': '3' } });
    expect(done.status).toBe(204); // tells an EventSource to stop reconnecting
    const resumed = await openSse(`${server.url}/api/ticker?intervalMs=10&count=5`, { 'Last-Event-ID': '3' });
    open.push(resumed);
    await resumed.waitFor(() => resumed.events.length === 2);
    expect(resumed.events.map((e) => e.id)).toEqual(['4', '5']);
  });

  it('/basic.html creates its EventSource in the first script of <head>', async () => {
    const html = await (await fetch(`${server.url}/basic.html`)).text();
    const head = html.slice(html.indexOf('<head>') + 6).trimStart();
    expect(head.startsWith("<script>window.es = new EventSource('/api/ticker?intervalMs=200');</script>")).toBe(true);
    expect(html).toBe(readFileSync(new URL('../../../demo/public/basic.html', import.meta.url), 'utf8'));
  });

  it('/ links every demo page', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    for (const p of ['/chat.html', '/naive.html', '/fetch.html', '/basic.html']) expect(html).toContain(`href="${p}`);
  });
});
