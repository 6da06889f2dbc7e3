/**
 * Example: what an app does with SSE across tabs, asserted through the
 * SSE Connections extension. Copy it into your project and point it at your
 * app:
 *
 *   APP_URL=http://localhost:3000 APP_PAGE=/chat npx playwright test sse-connections.spec.ts
 *
 * By default it runs against this repository's demo server and its reference
 * chat client (`SSE_RETRY_AFTER_SEC=2 npm start`, then `npx playwright test -c examples`).
 * The project id goes into the page URL as `projectId`; the extension reads
 * the project key of a stream from its URL the same way.
 */
// In your project: import { expect, test } from 'sse-connections/playwright';
// (here, inside the package's own repository, the source itself).
import { expect, test } from '../src/playwright/index.js';

const BASE = process.env['APP_URL'] ?? 'http://127.0.0.1:8787';
const PAGE = process.env['APP_PAGE'] ?? '/chat.html';

function appUrl(projectId: string, extra: Record<string, string> = {}): string {
  const url = new URL(PAGE, BASE);
  url.searchParams.set('projectId', projectId);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.href;
}

const unique = (name: string): string => `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

test('one SSE connection per project, however many tabs are open', async ({ context, page, sse }) => {
  const chat = unique('chat');
  const docs = unique('docs');
  await page.goto(appUrl(chat));
  for (let i = 0; i < 3; i += 1) await (await context.newPage()).goto(appUrl(chat));
  for (let i = 0; i < 2; i += 1) await (await context.newPage()).goto(appUrl(docs));

  // One tab leads and holds the connection; every other tab follows it.
  await sse.expectSingleLeader(chat, { followers: 3 });
  await sse.expectConnections(chat, 1);
  await sse.expectSingleLeader(docs, { followers: 1 });
  await sse.expectConnections(docs, 1);
});

test('when the leader tab closes, another tab takes over the connection', async ({ context, page, sse }) => {
  const project = unique('failover');
  await page.goto(appUrl(project));
  for (let i = 0; i < 2; i += 1) await (await context.newPage()).goto(appUrl(project));

  const leader = await sse.expectSingleLeader(project, { followers: 2 });
  await (await sse.pageOf(leader.tabId)).close();

  const next = await sse.expectSingleLeader(project, { followers: 1 });
  expect(next.tabId).not.toBe(leader.tabId);
  await sse.expectConnections(project, 1);
});

/**
 * Takes every SSE connection the demo server allows one user for a project,
 * so that the app's next attempt is refused with 429. Adapt this to your
 * server (or use a test switch of your own that makes it answer 429).
 */
async function holdEveryConnection(projectId: string, userId: string): Promise<() => void> {
  const held: AbortController[] = [];
  for (let i = 0; i < 100; i += 1) {
    const ctrl = new AbortController();
    const res = await fetch(new URL(`/api/persistent-chat/stream?projectId=${projectId}&userId=${userId}`, BASE), {
      headers: { Accept: 'text/event-stream' },
      signal: ctrl.signal,
    });
    if (res.status === 429) {
      await res.body?.cancel();
      return () => held.forEach((c) => c.abort());
    }
    held.push(ctrl);
  }
  throw new Error('the server never refused a connection');
}

test('after a 429 the app waits as long as Retry-After says', async ({ page, sse }) => {
  const project = unique('limited');
  const userId = unique('user');
  const release = await holdEveryConnection(project, userId);
  let refusal;
  try {
    await page.goto(appUrl(project, { userId }));
    refusal = await sse.waitForRateLimit(project);
  } finally {
    release();
  }
  expect(refusal.status).toBe(429);
  const retryAfterMs = refusal.retryAfterMs ?? 0;
  expect(retryAfterMs).toBeGreaterThan(0);

  // The app tries again, not sooner than Retry-After, and gets its connection.
  const report = await sse.expectRetryRespected(project, { requireRetry: true, timeout: 2 * retryAfterMs + 5_000 });
  expect(report.pairs.every((p) => (p.waitedMs ?? 0) >= retryAfterMs - 50)).toBe(true);
  await sse.expectConnections(project, 1, { timeout: 2 * retryAfterMs + 5_000 });
});
