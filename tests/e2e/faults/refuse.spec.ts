/**
 * Refuse connections, against the demo server and its reference client: the
 * next N attempts of a project get a 429 (with Retry-After, the X-SSE-*
 * headers and the seed's body) from the extension, never from the server.
 */
import type { ConsoleMessage, Request } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { expect, test } from '../fixtures';
import { addFault, extensionPage, pageHasFault, request, watchFaults } from './support';

let demo: DemoServer;
test.beforeEach(async () => {
  demo = await startDemoServer({ port: 0, limit: 5, retryAfterSec: 1 });
});
test.afterEach(async () => {
  await demo?.close();
});

interface ChatWindow {
  __chat: {
    connection: {
      connect(): Promise<void>;
      disconnect(): void;
      getConnectionInfo(): { attempt: number; lastError?: string; retryAt?: number };
    };
  };
}

const projectOf = () => `faults-${Math.random().toString(36).slice(2, 10)}`;

for (const transport of ['eventsource', 'fetch'] as const) {
  test(`refusing two ${transport} attempts: the client is told "limit exceeded", backs off for Retry-After, and connects on the third`, async ({ context, extensionId, tabIdOf, snapshot }) => {
    const projectId = projectOf();
    const streamRequests: string[] = [];
    context.on('request', (r: Request) => {
      if (r.url().includes('/api/persistent-chat/stream')) streamRequests.push(`${r.method()} ${r.url()}`);
    });
    const chat = await context.newPage();
    const warnings: string[] = [];
    chat.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await chat.goto(`${demo.url}/${transport === 'fetch' ? 'fetch' : 'chat'}.html?projectId=${projectId}&userId=u1`);
    await expect(chat.getByTestId('role')).toHaveText('leader');
    await expect(chat.getByTestId('state')).toContainText('stream open');
    expect(warnings.filter((w) => w.includes('[SSE Connections]'))).toEqual([]); // nothing injected unless asked
    await watchFaults(chat);
    const tabId = await tabIdOf(chat);

    const ext = await extensionPage(context, extensionId, tabId);
    const fault = await addFault(ext, {
      kind: 'refuse',
      tabId,
      scope: 'project',
      projectKey: projectId,
      count: 2,
      retryAfterSec: 2,
      limit: 5,
      current: 5,
    });
    expect(fault.remaining).toBe(2);
    await expect.poll(() => pageHasFault(chat, fault.id)).toBe(true);
    const before = streamRequests.length;

    // The client opens a new stream (its own disconnect + connect).
    const t0 = Date.now();
    await chat.evaluate(() => {
      const c = (window as unknown as ChatWindow).__chat.connection;
      c.disconnect();
      void c.connect();
    });
    // First attempt refused: the client saw a 429 (through its HEAD probe for EventSource, from the response itself for fetch).
    const infoOf = () => chat.evaluate(() => (window as unknown as ChatWindow).__chat.connection.getConnectionInfo());
    // EventSource learns it from its HEAD probe; fetch reads the seed body's message from the 429 itself.
    const expected = transport === 'fetch' ? 'SSE connection limit exceeded. Maximum 5 connections allowed per user/project.' : 'Connection limit exceeded';
    await expect.poll(async () => (await infoOf()).lastError).toBe(expected);
    await expect(chat.getByTestId('state')).toContainText('stream backoff');
    await expect(chat.locator('#sse-limit-banner')).toContainText('Too many chat connections');
    const info = await infoOf();
    expect(info.retryAt! - Date.now()).toBeGreaterThan(500); // Retry-After 2 s honoured
    expect(warnings.filter((w) => w.startsWith('[SSE Connections] injecting: refusing'))).toHaveLength(1);
    await expect.poll(async () => (await snapshot()).faults?.find((f) => f.id === fault.id)?.remaining).toBe(1);

    // Second attempt refused after Retry-After, third one connects.
    await expect(chat.getByTestId('state')).toContainText('stream open', { timeout: 20_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3800); // two Retry-After waits of 2 s
    const after = await chat.evaluate(() => (window as unknown as ChatWindow).__chat.connection.getConnectionInfo());
    expect(after.lastError).toBeUndefined();
    // The fault is used up and gone.
    await expect.poll(async () => (await snapshot()).faults?.length).toBe(0);
    // The server saw one GET (the third attempt) and no HEAD: the refusals never reached it.
    const reached = streamRequests.slice(before);
    expect(reached.filter((r) => r.startsWith('GET'))).toHaveLength(1);
    expect(reached.filter((r) => r.startsWith('HEAD'))).toEqual([]);
    expect(warnings.filter((w) => w.includes('[SSE Connections]'))).toHaveLength(1);
    void request;
  });
}

test('a refused fetch gets a real Response: status, headers, the seed body, its url; a HEAD probe of that stream too', async ({ context, extensionId, tabIdOf, server }) => {
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  // The page must have a relay connection: one stream first.
  await page.evaluate(async (base) => {
    const r = await fetch(`${base}/sse/ticker?count=1&intervalMs=10&projectId=p1`, { headers: { Accept: 'text/event-stream' } });
    await r.text();
  }, server.url);
  await watchFaults(page);
  const tabId = await tabIdOf(page);
  const ext = await extensionPage(context, extensionId, tabId);
  const fault = await addFault(ext, { kind: 'refuse', tabId, count: 1, retryAfterSec: 7, limit: 3, current: 4 });
  await expect.poll(() => pageHasFault(page, fault.id)).toBe(true);
  const seen = server.requests.length;
  const got = await page.evaluate(async (base) => {
    const url = `${base}/sse/ticker?count=1&projectId=p1`;
    const r = await fetch(url, { headers: { Accept: 'text/event-stream' } });
    const head = await fetch(url, { method: 'HEAD' });
    const other = await fetch(`${base}/plain.html`); // not an SSE attempt: untouched
    return {
      status: r.status,
      statusText: r.statusText,
      ok: r.ok,
      url: r.url,
      type: r.type,
      isResponse: r instanceof Response,
      headers: [...r.headers].map(([k, v]) => `${k}: ${v}`).sort(),
      body: await r.json(),
      head: { status: head.status, retryAfter: head.headers.get('Retry-After'), body: await head.text(), url: head.url },
      other: other.status,
    };
  }, server.url);
  expect(got.status).toBe(429);
  expect(got.statusText).toBe('Too Many Requests');
  expect(got.ok).toBe(false);
  expect(got.isResponse).toBe(true);
  expect(got.url).toBe(`${server.url}/sse/ticker?count=1&projectId=p1`);
  expect(got.type).toBe('basic');
  expect(got.headers).toEqual([
    'cache-control: no-store',
    'content-type: application/json; charset=utf-8',
    'retry-after: 7',
    'x-sse-connection-limit: 3',
    'x-sse-current-connections: 4',
  ]);
  expect(got.body).toEqual({
    error: 'too_many_connections',
    message: 'SSE connection limit exceeded. Maximum 3 connections allowed per user/project.',
    current_connections: 4,
    max_connections: 3,
    retry_after_ms: 7000,
    recommendation: 'Close other chat windows or switch this tab to follower mode',
  });
  expect(got.head).toEqual({ status: 429, retryAfter: '7', body: '', url: `${server.url}/sse/ticker?count=1&projectId=p1` });
  expect(got.other).toBe(200);
  // Only the plain page reached the server.
  expect(server.requests.slice(seen).map((r) => r.url)).toEqual(['/plain.html']);
});

test('a refused EventSource: error then CLOSED, url unchanged, the server never contacted', async ({ context, extensionId, tabIdOf, server }) => {
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?count=1&intervalMs=10`);
    await new Promise((r) => es.addEventListener('message', r, { once: true }));
    es.close();
  }, server.url);
  await watchFaults(page);
  const tabId = await tabIdOf(page);
  const ext = await extensionPage(context, extensionId, tabId);
  const fault = await addFault(ext, { kind: 'refuse', tabId, count: 1 });
  await expect.poll(() => pageHasFault(page, fault.id)).toBe(true);
  const seen = server.requests.length;
  const got = await page.evaluate(async (base) => {
    const url = `${base}/sse/ticker?intervalMs=10`;
    const es = new EventSource(url, { withCredentials: true });
    const states: number[] = [es.readyState];
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      es.onerror = () => {
        events.push('error');
        states.push(es.readyState);
        resolve();
      };
      es.onopen = () => events.push('open');
    });
    await new Promise((r) => setTimeout(r, 200));
    const desc = Object.getOwnPropertyDescriptor(EventSource.prototype, 'url')!;
    return {
      url: es.url,
      same: es.url === url,
      withCredentials: es.withCredentials,
      states,
      events,
      final: es.readyState,
      getter: Function.prototype.toString.call(desc.get),
      attrs: [desc.enumerable, desc.configurable, desc.set === undefined, typeof desc.get],
      isEs: es instanceof EventSource && Object.getPrototypeOf(es) === EventSource.prototype,
    };
  }, server.url);
  expect(got).toEqual({
    url: `${server.url}/sse/ticker?intervalMs=10`,
    same: true,
    withCredentials: true,
    states: [0, 2],
    events: ['error'],
    final: 2,
    getter: 'function get url() { [native code] }',
    attrs: [true, true, true, 'function'],
    isEs: true,
  });
  expect(server.requests.slice(seen)).toEqual([]);
  // A second attempt (the fault allowed one) goes to the server as usual.
  await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?count=1&intervalMs=10`);
    await new Promise((r) => es.addEventListener('message', r, { once: true }));
    es.close();
  }, server.url);
  expect(server.requests.slice(seen).length).toBe(1);
});

test('a fault survives a stop of the worker and still applies', async ({ context, extensionId, tabIdOf, server, snapshot, stopWorker }) => {
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?count=1&intervalMs=10`);
    await new Promise((r) => es.addEventListener('message', r, { once: true }));
    es.close();
  }, server.url);
  const tabId = await tabIdOf(page);
  const ext = await extensionPage(context, extensionId, tabId);
  const fault = await addFault(ext, { kind: 'refuse', tabId, count: 2 });
  await stopWorker();
  await expect.poll(async () => (await snapshot()).faults?.map((f) => [f.id, f.remaining])).toEqual([[fault.id, 2]]);
  const seen = server.requests.length;
  const state = await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?intervalMs=10`);
    await new Promise((r) => es.addEventListener('error', r, { once: true }));
    return es.readyState;
  }, server.url);
  expect(state).toBe(2);
  expect(server.requests.slice(seen)).toEqual([]);
  await expect.poll(async () => (await snapshot()).faults?.map((f) => [f.id, f.remaining])).toEqual([[fault.id, 1]]);
});
