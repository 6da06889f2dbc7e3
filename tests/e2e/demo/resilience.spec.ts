/**
 * The reference chat client in real Chromium through a Redis restart under two instances: open
 * tabs keep their streams and get the next message (numbered after the old ones); a tab opened
 * while Redis is down gets 503s, backs off, and connects once Redis is back.
 */
import { expect, test, type Browser } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { launchBrowser, startRedis, uniqueProject, type RedisProcess } from './support.js';

let browser: Browser;
let redis: RedisProcess;
let a: DemoServer;
let b: DemoServer;
test.beforeAll(async () => {
  browser = await launchBrowser();
  redis = await startRedis();
  a = await startDemoServer({ port: 0, limit: 2, redisUrl: redis.url, instanceId: 'A', heartbeatMs: 500 });
  b = await startDemoServer({ port: 0, limit: 2, redisUrl: redis.url, instanceId: 'B', heartbeatMs: 500 });
});
test.afterAll(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
  await redis?.stop();
});

async function post(base: string, projectId: string, text: string): Promise<Response> {
  return fetch(`${base}/api/persistent-chat/messages?projectId=${projectId}&userId=poster`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

test('Redis killed and restarted: open tabs keep going, a tab opened meanwhile connects after', async () => {
  const projectId = uniqueProject('restart');
  const user = 'u-restart';
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const ctxC = await browser.newContext();
  try {
    const pa = await ctxA.newPage();
    await pa.goto(`${a.url}/chat.html?projectId=${projectId}&userId=${user}`);
    await expect(pa.getByTestId('state')).toContainText('stream open');
    const pb = await ctxB.newPage();
    await pb.goto(`${b.url}/chat.html?projectId=${projectId}&userId=${user}`);
    await expect(pb.getByTestId('state')).toContainText('stream open');
    for (const t of ['before 1', 'before 2']) expect((await post(a.url, projectId, t)).status).toBe(201);
    for (const p of [pa, pb]) await expect(p.getByTestId('messages')).toContainText('before 2');

    await redis.kill();
    expect((await post(a.url, projectId, 'lost')).status).toBe(503);
    // a third tab (another user, so not over the limit) opens while Redis is down
    const pc = await ctxC.newPage();
    await pc.goto(`${a.url}/chat.html?projectId=${projectId}&userId=u-other`);
    await expect(pc.getByTestId('role')).toHaveText('leader');
    await expect(pc.getByTestId('state')).not.toContainText('stream open');
    await expect.poll(() => pc.evaluate(() => window.__chat!.connection.getConnectionInfo().attempt), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);

    redis = await startRedis(redis.port);
    // posts are refused (503) during the recovery hold, then accepted
    let id = 0;
    await expect
      .poll(
        async () => {
          const r = await post(b.url, projectId, 'after restart');
          if (r.status === 201) id = ((await r.json()) as { id: number }).id;
          return r.status;
        },
        { timeout: 15_000, intervals: [200] },
      )
      .toBe(201);
    expect(id).toBe(3); // the sequence went on from the messages before the restart
    for (const p of [pa, pb]) await expect(p.getByTestId('messages')).toContainText('after restart');
    for (const p of [pa, pb]) await expect(p.getByTestId('state')).toContainText('stream open');
    await expect(pc.getByTestId('state')).toContainText('stream open', { timeout: 30_000 });

    const view = (await (await fetch(`${a.url}/api/debug/sse-connections/${user}/${projectId}`)).json()) as {
      count: number;
      connections: Array<{ instanceId: string }>;
    };
    expect(view.count).toBe(2);
    expect(view.connections.map((c) => c.instanceId).sort()).toEqual(['A', 'B']);
  } finally {
    await ctxA.close();
    await ctxB.close();
    await ctxC.close();
  }
});
