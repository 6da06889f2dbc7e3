/**
 * Refusals in real Chromium: the reference client detects a 429 on EventSource, shows an
 * accessible banner, retries after Retry-After; two instances on Redis share one limit.
 */
import { expect, test, type Browser } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { launchBrowser, startRedis, uniqueProject, type RedisProcess } from './support.js';

let browser: Browser;
test.beforeAll(async () => {
  browser = await launchBrowser();
});
test.afterAll(async () => {
  await browser?.close();
});

test('a leader refused with 429 shows an accessible banner, backs off, and connects when a slot frees', async () => {
  const server = await startDemoServer({ port: 0, limit: 2, retryAfterSec: 1 });
  const context = await browser.newContext();
  try {
    const projectId = uniqueProject('limit');
    const user = 'u-limit';
    const naive = await context.newPage();
    await naive.goto(`${server.url}/naive.html?projectId=${projectId}&userId=${user}&n=2`);
    await expect(naive.getByTestId('state-0')).toHaveText('OPEN');
    await expect(naive.getByTestId('state-1')).toHaveText('OPEN');

    const chat = await context.newPage();
    await chat.goto(`${server.url}/chat.html?projectId=${projectId}&userId=${user}`);
    await expect(chat.getByTestId('role')).toHaveText('leader');
    await expect(chat.getByTestId('state')).toContainText('stream backoff');
    const banner = chat.locator('#sse-limit-banner');
    await expect(banner).toHaveAttribute('role', 'alert');
    await expect(banner).toHaveAttribute('aria-live', 'polite');
    await expect(banner).toContainText('Too many chat connections');
    const info = await chat.evaluate(() => window.__chat!.connection.getConnectionInfo());
    expect(info.lastError).toBe('Connection limit exceeded');
    expect(info.retryAt! - Date.now()).toBeLessThanOrEqual(3000);

    // a follower tab learns why too
    const follower = await context.newPage();
    await follower.goto(`${server.url}/chat.html?projectId=${projectId}&userId=${user}`);
    await expect(follower.getByTestId('role')).toHaveText('follower');
    await expect(follower.locator('#sse-limit-banner')).toContainText('Too many chat connections');
    // dismissible with its button, by its accessible name
    await follower.getByRole('button', { name: 'Dismiss connection notice' }).click();
    await expect(follower.locator('#sse-limit-banner')).toHaveCount(0);
    // and it stays dismissed while the leader keeps retrying (Retry-After is 1 s here)
    const attempts = (): Promise<number> => chat.evaluate(() => window.__chat!.connection.getConnectionInfo().attempt);
    const before = await attempts();
    await expect.poll(attempts, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2);
    await expect(follower.locator('#sse-limit-banner')).toHaveCount(0);

    // free the slots: the leader (and only it) reconnects after Retry-After
    await naive.close();
    await expect(chat.getByTestId('state')).toContainText('stream open', { timeout: 15_000 });
    await expect(banner).toHaveCount(0);
    const count = async (): Promise<number> =>
      ((await (await fetch(`${server.url}/api/debug/sse-connections/${user}/${projectId}`)).json()) as { count: number }).count;
    await expect.poll(count).toBe(1);
    await expect(follower.getByTestId('role')).toHaveText('follower');
  } finally {
    await context.close();
    await server.close();
  }
});

test.describe('two instances on Redis', () => {
  let redis: RedisProcess;
  let a: DemoServer;
  let b: DemoServer;
  test.beforeAll(async () => {
    redis = await startRedis();
    a = await startDemoServer({ port: 0, limit: 2, redisUrl: redis.url, instanceId: 'A' });
    b = await startDemoServer({ port: 0, limit: 2, redisUrl: redis.url, instanceId: 'B' });
  });
  test.afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test('with a limit of 2, the third connection across them gets 429 with the right headers', async () => {
    const projectId = uniqueProject('redis');
    const user = 'u-redis';
    // one leader per origin (A and B are different origins, so different locks)
    const ctxA = await browser.newContext();
    const ctxB = await browser.newContext();
    try {
      const pa = await ctxA.newPage();
      await pa.goto(`${a.url}/fetch.html?projectId=${projectId}&userId=${user}`);
      await expect(pa.getByTestId('state')).toContainText('stream open');
      const pb = await ctxB.newPage();
      await pb.goto(`${b.url}/chat.html?projectId=${projectId}&userId=${user}`);
      await expect(pb.getByTestId('state')).toContainText('stream open');
      const debug = (await (await fetch(`${a.url}/api/debug/sse-connections/${user}/${projectId}`)).json()) as {
        count: number;
        connections: Array<{ instanceId: string }>;
      };
      expect(debug.count).toBe(2);
      expect(debug.connections.map((c) => c.instanceId).sort()).toEqual(['A', 'B']);

      // third, through the fetch transport on A: it reads the refusal itself
      await pa.getByTestId('probe').click();
      await expect(pa.getByTestId('probe-result')).toContainText('"status": 429');
      const shown = JSON.parse((await pa.getByTestId('probe-result').textContent()) ?? '{}') as Record<string, unknown>;
      expect(shown).toMatchObject({ mode: 'follower', status: 429, retryAfterMs: 10_000, limit: 2, current: 2 });
      expect(shown['body']).toMatchObject({ error: 'too_many_connections', max_connections: 2, current_connections: 2 });

      // third, cross-origin from A's page to B: CORS must expose the rate-limit headers
      const cross = await pa.evaluate(async (url) => {
        const r = await fetch(url, { credentials: 'include' });
        return {
          status: r.status,
          retryAfter: r.headers.get('Retry-After'),
          limit: r.headers.get('X-SSE-Connection-Limit'),
          current: r.headers.get('X-SSE-Current-Connections'),
          body: (await r.json()) as unknown,
        };
      }, `${b.url}/api/persistent-chat/stream?projectId=${projectId}&userId=${user}`);
      expect(cross).toMatchObject({ status: 429, retryAfter: '10', limit: '2', current: '2' });
      expect(cross.body).toMatchObject({ error: 'too_many_connections', retry_after_ms: 10_000 });

      // messages posted on one instance reach the tab on the other
      await fetch(`${a.url}/api/persistent-chat/messages?projectId=${projectId}&userId=${user}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'across instances' }),
      });
      await expect(pb.getByTestId('messages')).toContainText('across instances');
      await expect(pa.getByTestId('messages')).toContainText('across instances');
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  });
});
