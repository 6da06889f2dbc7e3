/**
 * Hardening of the demo server on Redis (a real redis-server on a free port, no persistence):
 * fifty simultaneous connects over two instances, clients and instances killed abruptly,
 * Redis killed and restarted under the servers, streams that no longer fit after a data loss,
 * and the debug endpoint across instances.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { holdStreams, serverProcess } from './children.js';
import { freePort, startRedis, type RedisProcess } from './redis-process.js';
import { openSse, until, type SseReader } from './sse-reader.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';

const HEARTBEAT_MS = 500;
const TTL_MS = 3 * HEARTBEAT_MS;
const LIMIT = 5;

const readers: SseReader[] = [];
afterEach(() => {
  for (const r of readers.splice(0)) r.close();
});

function start(redisUrl: string, instanceId: string): Promise<DemoServer> {
  return startDemoServer({ port: 0, limit: LIMIT, redisUrl, instanceId, heartbeatMs: HEARTBEAT_MS, buildPages: false });
}
const streamUrl = (s: { url: string }, q: string): string => `${s.url}/api/persistent-chat/stream?${q}`;
async function sse(s: { url: string }, q: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await openSse(streamUrl(s, q), headers);
  readers.push(r);
  return r;
}
interface DebugBody {
  connections: Array<{ id: string; openedAt: string; instanceId: string; userId: string; projectId: string }>;
  count: number;
  limit: number;
}
async function debug(s: { url: string }, user: string, project: string): Promise<DebugBody> {
  const r = await fetch(`${s.url}/api/debug/sse-connections/${user}/${project}`);
  if (r.status !== 200) throw new Error(`debug answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as DebugBody;
}
async function post(s: { url: string }, project: string, text: string): Promise<Response> {
  return fetch(`${s.url}/api/persistent-chat/messages?projectId=${project}&userId=poster`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}
function inspector(url: string) {
  return createClient({ url });
}
async function withRedis<T>(url: string, run: (c: ReturnType<typeof inspector>) => Promise<T>): Promise<T> {
  const c = inspector(url);
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.close();
  }
}
/** The id the server gave a stream, from its first comment (": connected <id>"). */
async function connectionId(r: SseReader): Promise<string> {
  await r.waitFor(() => r.comments.some((c) => c.trim().startsWith('connected ')));
  return r.comments.find((c) => c.trim().startsWith('connected '))!.trim().slice('connected '.length);
}

describe('two instances on one Redis', () => {
  let redis: RedisProcess;
  let proxy: TcpProxy;
  let a: DemoServer;
  let b: DemoServer;
  beforeAll(async () => {
    redis = await startRedis();
    proxy = await startProxy(redis.port); // B reaches Redis through it
    a = await start(redis.url, 'A');
    b = await start(proxy.url, 'B');
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('fifty simultaneous connects over both instances with a limit of 5: exactly 5 admitted', async () => {
    const attempts = await Promise.all(Array.from({ length: 50 }, (_, i) => sse(i % 2 ? a : b, 'projectId=burst&userId=u1')));
    const admitted = attempts.filter((r) => r.res.status === 200);
    expect(admitted).toHaveLength(5);
    expect(attempts.filter((r) => r.res.status === 429)).toHaveLength(45);
    expect(admitted.map((r) => Number(r.res.headers.get('x-sse-current-connections'))).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const s of [a, b]) expect((await debug(s, 'u1', 'burst')).count).toBe(5);
  });

  it('the per-instance stream cap holds under simultaneous requests (admission is async on Redis)', async () => {
    const capped = await startDemoServer({ port: 0, limit: LIMIT, redisUrl: redis.url, instanceId: 'cap', maxStreams: 3, heartbeatMs: HEARTBEAT_MS, buildPages: false });
    try {
      const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => sse(capped, `projectId=cap&userId=c${i}`)));
      expect(attempts.filter((r) => r.res.status === 200)).toHaveLength(3);
      expect(attempts.filter((r) => r.res.status === 503)).toHaveLength(17);
      expect(capped.stats().streams).toBe(3);
    } finally {
      for (const r of readers.splice(0)) r.close();
      await capped.close();
    }
  });

  it('server view: each connection with its id, when it opened, and the instance that holds it', async () => {
    const held = [await sse(a, 'projectId=view&userId=v1'), await sse(b, 'projectId=view&userId=v1'), await sse(a, 'projectId=view&userId=v1')];
    const expected = new Map<string, string>();
    for (const r of held) expected.set(await connectionId(r), r.res.headers.get('x-sse-instance')!);
    for (const s of [a, b]) {
      const d = await debug(s, 'v1', 'view');
      expect(d.count).toBe(3);
      expect(d.limit).toBe(LIMIT);
      expect(new Map(d.connections.map((c) => [c.id, c.instanceId]))).toEqual(expected);
      for (const c of d.connections) expect(new Date(c.openedAt).toISOString()).toBe(c.openedAt);
      expect(d.connections.map((c) => c.openedAt)).toEqual(d.connections.map((c) => c.openedAt).sort());
    }
    expect([...expected.values()].sort()).toEqual(['A', 'A', 'B']);
  });

  it('clients killed abruptly (SIGKILLed processes on both instances): the count is back to 0 within the TTL', async () => {
    const onA = await holdStreams(streamUrl(a, 'projectId=killed&userId=u1'), 3);
    const onB = await holdStreams(streamUrl(b, 'projectId=killed&userId=u1'), 2);
    try {
      expect([...onA.statuses, ...onB.statuses]).toEqual([200, 200, 200, 200, 200]);
      expect((await debug(a, 'u1', 'killed')).count).toBe(5);
      await Promise.all([onA.kill(), onB.kill()]);
      await until(async () => (await debug(b, 'u1', 'killed')).count === 0, TTL_MS);
    } finally {
      await Promise.all([onA.kill(), onB.kill()]);
    }
  }, 120_000);

  it('an instance killed abruptly: its entries expire within the TTL (3 heartbeats), then the slots are free', async () => {
    const c = await serverProcess(await freePort(), {
      REDIS_URL: redis.url,
      SSE_LIMIT: String(LIMIT),
      SSE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      INSTANCE_ID: 'C',
    });
    try {
      for (let i = 0; i < LIMIT; i += 1) expect((await sse(c, 'projectId=crash&userId=u1')).res.status).toBe(200);
      expect((await fetch(streamUrl(a, 'projectId=crash&userId=u1'))).status).toBe(429);
      // live entries outlast the TTL: C refreshes them
      await new Promise((r) => setTimeout(r, 2 * TTL_MS));
      expect((await debug(a, 'u1', 'crash')).count).toBe(LIMIT);
      await c.kill(); // no cleanup runs: nothing releases the entries
      // a refresh C wrote just before it died can still reach Redis a moment later (seen: 8 ms
      // under load): let it land, then no entry may expire later than one TTL from now
      await new Promise((r) => setTimeout(r, 100));
      const [nowMs, scores] = await withRedis(redis.url, async (cl) => {
        const t = await cl.time();
        const zs = await cl.zRangeWithScores('sse:conns:{u1:crash}', 0, -1);
        return [Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000), zs.map((z) => z.score)] as const;
      });
      // every entry expires at most one TTL after the kill (its last refresh was before it)
      expect(scores).toHaveLength(LIMIT);
      for (const s of scores) expect(s).toBeLessThanOrEqual(nowMs + TTL_MS);
      await until(async () => (await debug(a, 'u1', 'crash')).count === 0, TTL_MS + 2000);
      expect((await sse(a, 'projectId=crash&userId=u1')).res.status).toBe(200);
    } finally {
      await c.kill();
    }
  }, 120_000);

  it('an instance stalled past the TTL (SIGSTOP) whose slots were taken closes its streams when it wakes: never above the limit', async () => {
    const c = await serverProcess(await freePort(), {
      REDIS_URL: redis.url,
      SSE_LIMIT: String(LIMIT),
      SSE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      INSTANCE_ID: 'S',
    });
    try {
      const onC = await Promise.all(Array.from({ length: 3 }, () => sse(c, 'projectId=stall&userId=u1')));
      expect(onC.map((r) => r.res.status)).toEqual([200, 200, 200]);
      c.child.kill('SIGSTOP'); // a long GC pause, a frozen VM: the process holds its sockets but does nothing
      await until(async () => (await debug(a, 'u1', 'stall')).count === 0, TTL_MS + 3000);
      const onA = await Promise.all(Array.from({ length: LIMIT }, () => sse(a, 'projectId=stall&userId=u1')));
      expect(onA.map((r) => r.res.status)).toEqual([200, 200, 200, 200, 200]);
      c.child.kill('SIGCONT');
      // S tries to register its 3 streams again: no room, so it closes them
      for (const r of onC) await until(() => r.ended, 10_000);
      expect(onC.every((r) => r.comments.some((x) => x.includes('connection limit reached')))).toBe(true);
      const d = await debug(a, 'u1', 'stall');
      expect(d.count).toBe(LIMIT);
      expect(d.connections.every((x) => x.instanceId === 'A')).toBe(true);
      expect(onA.some((r) => r.ended)).toBe(false);
    } finally {
      c.child.kill('SIGCONT');
      await c.kill();
    }
  }, 120_000);

  it('messages published while an instance was cut off from Redis still reach its open streams, in order', async () => {
    const ra = await sse(a, 'projectId=gap&userId=g1');
    const rb = await sse(b, 'projectId=gap&userId=g2');
    expect((await post(a, 'gap', 'before')).status).toBe(201);
    for (const r of [ra, rb]) await r.waitFor(() => r.events.length === 1);
    proxy.down(); // B loses Redis (its subscriber too); Redis and A go on
    for (let i = 0; i < 5; i += 1) expect((await post(a, 'gap', `during ${i}`)).status).toBe(201);
    await ra.waitFor(() => ra.events.length === 6);
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
    expect(rb.events).toHaveLength(1);
    expect(rb.ended).toBe(false);
    proxy.up();
    // B's subscriber comes back and takes what it missed from the history, then live ones
    await rb.waitFor(() => rb.events.length >= 6, 10_000);
    expect((await post(a, 'gap', 'after')).status).toBe(201);
    for (const r of [ra, rb]) {
      await r.waitFor(() => r.events.length >= 7);
      expect(r.events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    }
    expect((await debug(b, 'g2', 'gap')).count).toBe(1);
  }, 30_000);

  it('streams that no longer fit after Redis lost its data are closed, never counted above the limit', async () => {
    const mine = [await sse(a, 'projectId=evict&userId=u1'), await sse(a, 'projectId=evict&userId=u1'), await sse(b, 'projectId=evict&userId=u1')];
    const evicted0 = a.stats().evicted + b.stats().evicted;
    // in one transaction: the data is lost, and other holders take the 5 slots before our
    // instances registered their streams again
    const fakes = Array.from({ length: LIMIT }, (_, i) => `z${i}`);
    await withRedis(redis.url, async (cl) => {
      const farExpiry = Date.now() + 60_000;
      const m = cl.multi().flushAll().set('sse:hold', '0');
      for (const id of fakes) {
        m.zAdd('sse:conns:{u1:evict}', { score: farExpiry, value: id });
        m.hSet('sse:info:{u1:evict}', id, JSON.stringify({ id, userId: 'u1', projectId: 'evict', openedAt: new Date().toISOString(), instanceId: 'Z' }));
      }
      await m.exec();
    });
    // within a heartbeat each instance tries to register its streams again: no room, so it closes them
    for (const r of mine) await until(() => r.ended, 5000);
    expect(a.stats().evicted + b.stats().evicted - evicted0).toBe(3);
    const d = await debug(a, 'u1', 'evict');
    expect(d.count).toBe(LIMIT);
    expect(d.connections.map((c) => c.id).sort()).toEqual(fakes);
    expect(a.stats().streams + b.stats().streams).toBe(0);
    expect(mine.every((r) => r.comments.some((c) => c.includes('connection limit reached after the store recovered')))).toBe(true);
  });
});

describe('Redis killed and restarted under two instances', () => {
  // B reaches Redis through a proxy, so the test can keep B away from Redis for longer than A
  const HB = 500;
  let redis: RedisProcess;
  let proxy: TcpProxy;
  let a: DemoServer;
  let b: DemoServer;
  beforeAll(async () => {
    redis = await startRedis();
    proxy = await startProxy(redis.port);
    a = await startDemoServer({ port: 0, limit: LIMIT, redisUrl: redis.url, instanceId: 'A', heartbeatMs: HB, buildPages: false });
    b = await startDemoServer({ port: 0, limit: LIMIT, redisUrl: proxy.url, instanceId: 'B', heartbeatMs: HB, buildPages: false });
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('answers 503 with JSON while Redis is down, recovers, re-registers its streams, never admits above the limit, keeps ids monotonic', async () => {
    const old = [
      ...(await Promise.all([1, 2, 3].map(() => sse(a, 'projectId=rs&userId=u1')))),
      ...(await Promise.all([1, 2].map(() => sse(b, 'projectId=rs&userId=u1')))),
    ];
    expect(old.map((r) => r.res.status)).toEqual([200, 200, 200, 200, 200]);
    for (const t of ['m1', 'm2', 'm3']) expect((await post(a, 'rs', t)).status).toBe(201);
    for (const r of old) await r.waitFor(() => r.events.length === 3);

    proxy.down();
    await redis.kill();
    // while it is down: clear 503s, no crash, the rest of the server works, streams stay open
    for (const s of [a, b]) {
      const g = await fetch(streamUrl(s, 'projectId=rs&userId=u2'));
      expect(g.status).toBe(503);
      expect(g.headers.get('content-type')).toMatch(/^application\/json/);
      expect(g.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await g.json()).toMatchObject({ error: 'store_unavailable' });
      expect((await fetch(streamUrl(s, 'projectId=rs&userId=u1'), { method: 'HEAD' })).status).toBe(503);
      const p = await post(s, 'rs', 'lost');
      expect(p.status).toBe(503);
      expect(await p.json()).toMatchObject({ error: 'store_unavailable' });
      const d = await fetch(`${s.url}/api/debug/sse-connections/u1/rs`);
      expect(d.status).toBe(503);
      expect(await d.json()).toMatchObject({ error: 'store_unavailable' });
      expect((await fetch(`${s.url}/api/whoami`)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 2 * HB)); // refreshes fail meanwhile
    expect(old.some((r) => r.ended)).toBe(false);

    redis = await startRedis(redis.port); // same port, empty
    // New clients keep trying through the recovery (bounded loop). A is back first; B only
    // once A has answered "recovering" for a while: A must not fill B's slots meanwhile.
    const statuses: number[] = [];
    const codes = new Set<string>();
    const fresh: SseReader[] = [];
    let maxCount = 0;
    let firstRecovering = 0;
    const refusedBy = new Set<string>();
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < 400 && Date.now() < deadline && refusedBy.size < 2; i += 1) {
      if (firstRecovering && Date.now() - firstRecovering > HB / 2) proxy.up();
      const s = i % 2 ? a : b;
      const r = await sse(s, 'projectId=rs&userId=u1');
      statuses.push(r.res.status);
      if (r.res.status === 200) fresh.push(r);
      else if (r.res.status === 429) refusedBy.add(s === a ? 'A' : 'B');
      else if (r.res.status === 503) {
        const code = ((await r.res.json()) as { error: string }).error;
        codes.add(code);
        if (code === 'store_recovering' && !firstRecovering) firstRecovering = Date.now();
        // HEAD answers what a GET would get
        const h = await fetch(streamUrl(s, 'projectId=rs&userId=u1'), { method: 'HEAD' });
        expect([503, 429]).toContain(h.status);
      }
      const d = await fetch(`${s.url}/api/debug/sse-connections/u1/rs`);
      if (d.status === 200) maxCount = Math.max(maxCount, ((await d.json()) as DebugBody).count);
      await new Promise((res) => setTimeout(res, 20));
    }
    proxy.up();
    const n = (st: number): number => statuses.filter((x) => x === st).length;
    console.log(`[redis restart] ${statuses.length} attempts: ${n(503)} × 503 (${[...codes].join(', ')}), ${n(200)} × 200, ${n(429)} × 429`);
    expect(refusedBy).toEqual(new Set(['A', 'B']));
    expect(codes).toEqual(new Set(['store_unavailable', 'store_recovering']));
    expect(statuses.every((x) => x === 503 || x === 429)).toBe(true);
    expect(fresh).toHaveLength(0); // the five open streams were registered again before anything new
    expect(maxCount).toBeLessThanOrEqual(LIMIT);
    const after = await debug(b, 'u1', 'rs');
    expect(after.count).toBe(LIMIT);
    expect(after.connections.map((c) => c.instanceId).sort()).toEqual(['A', 'A', 'A', 'B', 'B']);
    expect(old.some((r) => r.ended)).toBe(false);

    // messages flow again, numbered after the ones before the restart
    const res = await post(b, 'rs', 'after restart');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { id: number }).id).toBe(4);
    for (const r of old) await r.waitFor(() => r.events.length === 4);
    expect(old.map((r) => r.events[3]!.id)).toEqual(['4', '4', '4', '4', '4']);

    // a slot freed is a slot for a new client again
    old[0]!.close();
    await until(async () => (await debug(a, 'u1', 'rs')).count === LIMIT - 1);
    expect((await sse(b, 'projectId=rs&userId=u1')).res.status).toBe(200);
    expect((await fetch(streamUrl(a, 'projectId=rs&userId=u1'))).status).toBe(429);
  }, 120_000);
});

describe('Redis gone for good', () => {
  it('the server keeps answering (503 for what needs Redis) and still closes cleanly', async () => {
    const r = await startRedis();
    const s = await start(r.url, 'solo');
    let closed = false;
    try {
      const open = await sse(s, 'projectId=gone&userId=u1');
      expect(open.res.status).toBe(200);
      await r.kill();
      for (let i = 0; i < 20; i += 1) {
        const g = await fetch(streamUrl(s, 'projectId=gone&userId=u1'));
        expect(g.status).toBe(503);
        await g.body?.cancel();
      }
      await new Promise((res) => setTimeout(res, 3 * HEARTBEAT_MS)); // failed refreshes and reconnects meanwhile
      expect((await fetch(`${s.url}/api/whoami`)).status).toBe(200);
      await s.close(); // bounded by the test timeout: must not wait for Redis
      closed = true;
      await until(() => open.ended, 5000);
    } finally {
      if (!closed) await s.close();
      await r.stop();
    }
  }, 30_000);
});
