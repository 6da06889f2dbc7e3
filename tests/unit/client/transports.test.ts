/**
 * Pitfall 8 (peers.md): EventSource cannot read a refusal. The fetch transport reads the 429
 * itself; the EventSource transport asks the server with HEAD. Against the real demo server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { connectToSSE } from '../../../src/client/index.js';
import type { StreamMessage } from '../../../src/client/types.js';
import { FakeEventSource } from './fakes/event-source.js';

let server: DemoServer;
beforeAll(async () => {
  server = await startDemoServer({ port: 0, limit: 1, retryAfterSec: 7, buildPages: false });
});
afterAll(async () => {
  await server.close();
});

const post = async (projectId: string, text: string): Promise<void> => {
  const r = await fetch(`${server.url}/api/persistent-chat/messages?projectId=${projectId}&userId=x`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(r.status).toBe(201);
};

function collect(): { msgs: StreamMessage[]; until(n: number): Promise<void> } {
  const msgs: StreamMessage[] = [];
  return {
    msgs,
    until: async (n) => {
      for (let i = 0; i < 200 && msgs.length < n; i += 1) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

describe('fetch transport', () => {
  it('pitfall 8: reads the status, Retry-After, X-SSE-* headers and JSON body of a 429', async () => {
    const opts = { transport: 'fetch' as const, baseUrl: server.url, userId: 'u-fetch' };
    const first = await connectToSSE('p-fetch', opts);
    expect(first.mode).toBe('leader');
    const second = await connectToSSE('p-fetch', opts);
    first.stream?.close();
    expect(second).toMatchObject({
      mode: 'follower',
      status: 429,
      retryAfterMs: 7000,
      limit: 1,
      current: 1,
      body: { error: 'too_many_connections', max_connections: 1, current_connections: 1, retry_after_ms: 7000 },
    });
  });

  it('streams messages with ids and resumes after a Last-Event-ID header', async () => {
    const opts = { transport: 'fetch' as const, baseUrl: server.url, userId: 'u-resume' };
    const r = await connectToSSE('p-resume', opts);
    expect(r.mode).toBe('leader');
    const c = collect();
    r.stream!.start({ onMessage: (m) => c.msgs.push(m), onError: () => undefined });
    for (const t of ['a', 'b', 'c']) await post('p-resume', t);
    await c.until(3);
    r.stream!.close();
    expect(c.msgs.map((m) => JSON.parse(m.data).text)).toEqual(['a', 'b', 'c']);
    const firstId = c.msgs[0]!.id!;
    // the slot is released asynchronously when the server sees the close
    let again = await connectToSSE('p-resume', { ...opts, lastEventId: firstId });
    for (let i = 0; again.mode !== 'leader' && i < 50; i += 1) {
      await new Promise((res) => setTimeout(res, 20));
      again = await connectToSSE('p-resume', { ...opts, lastEventId: firstId });
    }
    expect(again.mode).toBe('leader');
    const c2 = collect();
    again.stream!.start({ onMessage: (m) => c2.msgs.push(m), onError: () => undefined });
    await c2.until(2);
    again.stream!.close();
    expect(c2.msgs.map((m) => JSON.parse(m.data).text)).toEqual(['b', 'c']);
  });
});

describe('EventSource transport', () => {
  const esOpts = (extra: object = {}) => ({
    baseUrl: server.url,
    userId: 'u-es',
    EventSource: FakeEventSource as unknown as typeof EventSource,
    ...extra,
  });

  it('pitfall 8: a refused EventSource is diagnosed with HEAD: 429, Retry-After and limits', async () => {
    const holder = await connectToSSE('p-es', { transport: 'fetch', baseUrl: server.url, userId: 'u-es' });
    expect(holder.mode).toBe('leader');
    FakeEventSource.reset();
    const pending = connectToSSE('p-es', esOpts());
    FakeEventSource.instances[0]!.refuse(); // what the browser does on a 429
    const r = await pending;
    holder.stream?.close();
    expect(r).toMatchObject({ mode: 'follower', status: 429, retryAfterMs: 7000, limit: 1, current: 1 });
  });

  it('a network error while the browser retries is not a refusal; a timeout is reported as a timeout', async () => {
    FakeEventSource.reset();
    let settled = false;
    const pending = connectToSSE('p-es-free', esOpts({ timeoutMs: 300 })).then((r) => {
      settled = true;
      return r;
    });
    FakeEventSource.instances[0]!.drop(); // readyState CONNECTING: the seed gave up here
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    const r = await pending;
    expect(r.mode).toBe('failed');
    expect(r.reason).toMatch(/Timed out/);
    expect(FakeEventSource.instances[0]!.closedByClient).toBe(true);
  });

  it('passes the handoff id as ?lastEventId= (EventSource cannot set the header on its first request)', async () => {
    FakeEventSource.reset();
    const pending = connectToSSE('p/odd id', esOpts({ lastEventId: '41' }));
    const es = FakeEventSource.instances[0]!;
    const u = new URL(es.url);
    expect(u.pathname).toBe('/api/persistent-chat/stream');
    expect(u.searchParams.get('projectId')).toBe('p/odd id');
    expect(u.searchParams.get('lastEventId')).toBe('41');
    es.open();
    const r = await pending;
    expect(r.mode).toBe('leader');
    expect(r.eventSource).toBe(es as unknown as EventSource);
  });
});
