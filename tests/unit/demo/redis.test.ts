/**
 * Several demo server instances sharing one limit through a real redis-server: atomic admit,
 * entries that expire when an instance dies, pub/sub fan-out and replay across instances.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { freePort, startRedis, type RedisProcess } from './redis-process.js';
import { openSse, until, type SseReader } from './sse-reader.js';

let redis: RedisProcess;
let a: DemoServer;
let b: DemoServer;
const readers: SseReader[] = [];

beforeAll(async () => {
  redis = await startRedis();
  a = await startDemoServer({ port: 0, limit: 3, redisUrl: redis.url, instanceId: 'A', heartbeatMs: 200, buildPages: false });
  b = await startDemoServer({ port: 0, limit: 3, redisUrl: redis.url, instanceId: 'B', heartbeatMs: 200, buildPages: false });
}, 30_000);
afterAll(async () => {
  for (const r of readers) r.close();
  await a?.close();
  await b?.close();
  await redis?.stop();
});

async function sse(s: DemoServer, q: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await openSse(`${s.url}/api/persistent-chat/stream?${q}`, headers);
  readers.push(r);
  return r;
}
async function debug(s: DemoServer, user: string, project: string): Promise<{ count: number; connections: Array<{ instanceId: string }> }> {
  return (await (await fetch(`${s.url}/api/debug/sse-connections/${user}/${project}`)).json()) as {
    count: number;
    connections: Array<{ instanceId: string }>;
  };
}

describe('shared limit', () => {
  it('counts connections of both instances against one limit', async () => {
    expect((await sse(a, 'projectId=shared&userId=u1')).res.status).toBe(200);
    expect((await sse(a, 'projectId=shared&userId=u1')).res.status).toBe(200);
    expect((await sse(b, 'projectId=shared&userId=u1')).res.status).toBe(200);
    for (const s of [a, b]) {
      const r = await fetch(`${s.url}/api/persistent-chat/stream?projectId=shared&userId=u1`);
      expect(r.status).toBe(429);
      expect(r.headers.get('x-sse-current-connections')).toBe('3');
      expect(r.headers.get('x-sse-connection-limit')).toBe('3');
      expect((await fetch(`${s.url}/api/persistent-chat/stream?projectId=shared&userId=u1`, { method: 'HEAD' })).status).toBe(429);
    }
    const d = await debug(b, 'u1', 'shared');
    expect(d.count).toBe(3);
    expect(d.connections.map((c) => c.instanceId).sort()).toEqual(['A', 'A', 'B']);
  });

  it('admits atomically: 20 simultaneous requests over two instances, exactly 3 streams', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sse(i % 2 ? a : b, 'projectId=race&userId=u1')),
    );
    expect(attempts.filter((r) => r.res.status === 200)).toHaveLength(3);
    expect(attempts.filter((r) => r.res.status === 429)).toHaveLength(17);
    expect((await debug(a, 'u1', 'race')).count).toBe(3);
  });

  it('live connections outlast the TTL (heartbeats refresh it); closed ones are released', async () => {
    const r = await sse(a, 'projectId=ttl&userId=u1');
    await new Promise((res) => setTimeout(res, 1500)); // 2.5 TTLs of 600 ms
    expect((await debug(b, 'u1', 'ttl')).count).toBe(1);
    r.close();
    await until(async () => (await debug(b, 'u1', 'ttl')).count === 0);
  });

  it("a crashed instance's connections expire", async () => {
    const port = await freePort();
    // one process (the tsx CLI would run the server in a child that SIGKILL does not reach)
    const child = spawn(process.execPath, ['--import', 'tsx', resolve('demo/server/main.ts')], {
      env: { ...process.env, PORT: String(port), REDIS_URL: redis.url, SSE_LIMIT: '3', SSE_HEARTBEAT_MS: '200', INSTANCE_ID: 'C', SSE_BUILD_PAGES: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((ok, fail) => {
        let out = '';
        const t = setTimeout(() => fail(new Error(`instance C did not start: ${out}`)), 60_000);
        const onData = (d: Buffer): void => {
          out += d.toString();
          if (out.includes('demo server on')) {
            clearTimeout(t);
            ok();
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
      });
      const c = { url: `http://127.0.0.1:${port}` } as DemoServer;
      await sse(c, 'projectId=crash&userId=u1');
      await sse(c, 'projectId=crash&userId=u1');
      expect((await debug(a, 'u1', 'crash')).count).toBe(2);
      child.kill('SIGKILL'); // no cleanup runs
      await until(async () => (await debug(a, 'u1', 'crash')).count === 0, 5000);
      expect((await sse(a, 'projectId=crash&userId=u1')).res.status).toBe(200);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('messages across instances', () => {
  it('fans out through pub/sub with one id sequence, and replays across instances', async () => {
    const onA = await sse(a, 'projectId=fan&userId=u1');
    const onB = await sse(b, 'projectId=fan&userId=u2');
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const s = i % 2 ? a : b;
      const r = await fetch(`${s.url}/api/persistent-chat/messages?projectId=fan&userId=p`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: `t${i}` }),
      });
      ids.push(String(((await r.json()) as { id: number }).id));
    }
    for (const r of [onA, onB]) {
      await r.waitFor(() => r.events.length === 6);
      expect(r.events.map((e) => e.id)).toEqual(ids);
    }
    const replay = await sse(b, 'projectId=fan&userId=u3', { 'Last-Event-ID': ids[2]! });
    await replay.waitFor(() => replay.events.length === 3);
    expect(replay.events.map((e) => e.id)).toEqual(ids.slice(3));
  });
});
