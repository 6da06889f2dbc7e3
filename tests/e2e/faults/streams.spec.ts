/**
 * Drop / end a stream, hold back a leader, delay a connection: against the
 * demo server and its reference client (leader / follower over Web Locks and
 * BroadcastChannel), and the test server's ticker.
 */
import type { ConsoleMessage, Page } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { postMessage } from '../demo/support';
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
    connection: { getConnectionInfo(): { mode: string; streamState: string; leaderStatus?: string; attempt: number } };
    received: { id: string | undefined; text: string }[];
  };
}

const projectOf = () => `faults-${Math.random().toString(36).slice(2, 10)}`;
const texts = (p: Page) => p.evaluate(() => (window as unknown as ChatWindow).__chat.received.map((m) => m.text));
const ids = (p: Page) => p.evaluate(() => (window as unknown as ChatWindow).__chat.received.map((m) => Number(m.id)));

function collectWarnings(page: Page): string[] {
  const out: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'warning' && m.text().startsWith('[SSE Connections]')) out.push(m.text());
  });
  return out;
}

/** `name` only tells the tabs apart (tabIdOf finds a tab by its URL). */
async function openChat(page: Page, projectId: string, file = 'chat.html', name = 'a'): Promise<void> {
  await page.goto(`${demo.url}/${file}?projectId=${projectId}&userId=u1&tab=${name}`);
}

for (const [kind, file] of [
  ['drop', 'chat.html'],
  ['end', 'chat.html'],
  ['drop', 'fetch.html'],
  ['end', 'fetch.html'],
] as const) {
  test(`${kind} the leader's ${file === 'fetch.html' ? 'fetch' : 'EventSource'} stream: it reconnects, the follower keeps up, no message lost or doubled`, async ({ context, extensionId, tabIdOf, snapshot }) => {
    const projectId = projectOf();
    const leader = await context.newPage();
    const warnings = collectWarnings(leader);
    await openChat(leader, projectId, file);
    await expect(leader.getByTestId('role')).toHaveText('leader');
    await expect(leader.getByTestId('state')).toContainText('stream open');
    const follower = await context.newPage();
    await openChat(follower, projectId, file, 'b');
    await expect(follower.getByTestId('role')).toHaveText('follower');
    await expect(follower.getByTestId('state')).toContainText("leader's stream connected");

    await postMessage(demo.url, projectId, 'm1');
    await expect.poll(() => texts(follower)).toEqual(['m1']);
    await watchFaults(leader);

    const tabId = await tabIdOf(leader);
    const conn = (await snapshot()).connections.find(
      (c) => c.tabId === tabId && c.state === 'open' && c.url.includes('/api/persistent-chat/stream'),
    );
    expect(conn, 'the leader stream in the snapshot').toBeTruthy();
    const ext = await extensionPage(context, extensionId, tabId);
    const fault = await addFault(ext, { kind, tabId, connectionId: conn!.id });
    await expect.poll(() => warnings.length).toBe(1);
    expect(warnings[0]).toMatch(kind === 'drop' ? /injecting: dropping the stream/ : /injecting: ending the stream/);
    // Posted while the leader has no stream.
    await postMessage(demo.url, projectId, 'm2');
    await postMessage(demo.url, projectId, 'm3');
    await expect.poll(() => texts(leader), { timeout: 20_000 }).toEqual(['m1', 'm2', 'm3']);
    await expect.poll(() => texts(follower)).toEqual(['m1', 'm2', 'm3']);
    await postMessage(demo.url, projectId, 'm4');
    await expect.poll(() => texts(follower)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(await texts(leader)).toEqual(['m1', 'm2', 'm3', 'm4']);
    const got = await ids(follower);
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    // The one-shot fault is gone once applied; the stream reconnected.
    await expect.poll(async () => (await snapshot()).faults?.some((f) => f.id === fault.id)).toBe(false);
    const count = async (): Promise<number> =>
      ((await (await fetch(`${demo.url}/api/debug/sse-connections/u1/${projectId}`)).json()) as { count: number }).count;
    await expect.poll(count).toBe(1); // the old stream was really closed at the server
    await expect(leader.getByTestId('role')).toHaveText('leader');
    expect(warnings).toHaveLength(1);
    // Polled: the server counts the new stream before the page's report of it has reached the worker.
    const after = async () => (await snapshot()).connections.filter((c) => c.tabId === tabId && c.url.includes('/api/persistent-chat/stream'));
    if (file === 'chat.html') {
      // The same EventSource went through a reconnect, as the browser's own would.
      await expect
        .poll(async () => {
          const same = (await after()).find((c) => c.id === conn!.id);
          return { state: same?.state, reconnected: (same?.reconnects ?? 0) >= 1 };
        })
        .toEqual({ state: 'open', reconnected: true });
    } else {
      // The fetch stream ended (error or done); the client opened a new one.
      await expect
        .poll(async () => {
          const list = await after();
          return { old: list.find((c) => c.id === conn!.id)?.state, open: list.filter((c) => c.state === 'open').length };
        })
        .toEqual({ old: 'closed', open: 1 });
    }
    void pageHasFault;
    void request;
  });
}

test('drop the leader\'s EventSource after messages it only counted (message log rate 1): the reconnect still sends the last event id, nothing lost or doubled', async ({ context, extensionId, tabIdOf, snapshot, setSettings }) => {
  await setSettings({ messageLogRate: 1 });
  const projectId = projectOf();
  const leader = await context.newPage();
  await openChat(leader, projectId);
  await expect(leader.getByTestId('role')).toHaveText('leader');
  await expect(leader.getByTestId('state')).toContainText('stream open');
  // One token a second: the first message is logged, the ones right after it only counted.
  for (const text of ['m1', 'm2', 'm3']) await postMessage(demo.url, projectId, text);
  await expect.poll(() => texts(leader)).toEqual(['m1', 'm2', 'm3']);
  await watchFaults(leader);
  const tabId = await tabIdOf(leader);
  const conn = (await snapshot()).connections.find((c) => c.tabId === tabId && c.state === 'open' && c.url.includes('/api/persistent-chat/stream'));
  expect(conn, 'the leader stream in the snapshot').toBeTruthy();
  await expect.poll(async () => (await snapshot()).connections.find((c) => c.id === conn!.id)?.messageCount).toBe(3);
  const ext = await extensionPage(context, extensionId, tabId);
  await addFault(ext, { kind: 'drop', tabId, connectionId: conn!.id });
  await postMessage(demo.url, projectId, 'm4');
  await expect.poll(() => texts(leader), { timeout: 20_000 }).toEqual(['m1', 'm2', 'm3', 'm4']);
  await postMessage(demo.url, projectId, 'm5');
  await expect.poll(() => texts(leader)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  // What the EventSource itself received (the client would hide a replayed message): five messages, none twice.
  await expect.poll(async () => (await snapshot()).connections.find((c) => c.id === conn!.id)?.messageCount).toBe(5);
  const same = (await snapshot()).connections.find((c) => c.id === conn!.id);
  expect(same?.reconnects).toBeGreaterThanOrEqual(1);
  expect(same?.lastEventId).toBe(String((await ids(leader)).at(-1)));
});

for (const file of ['chat.html', 'fetch.html'] as const) {
test(`holding back the leader's posts and events (${file === 'fetch.html' ? 'fetch' : 'EventSource'}): the follower's watchdog pings, takes over, and no message is lost or doubled`, async ({ context, extensionId, tabIdOf, snapshot }) => {
  const projectId = projectOf();
  const leader = await context.newPage();
  const warnings = collectWarnings(leader);
  await openChat(leader, projectId, file);
  await expect(leader.getByTestId('state')).toContainText('stream open');
  const follower = await context.newPage();
  await openChat(follower, projectId, file, 'b');
  await expect(follower.getByTestId('role')).toHaveText('follower');
  await expect(follower.getByTestId('state')).toContainText("leader's stream connected");
  // Test instrumentation: a channel of our own in the follower's page hears every post of the project's channel.
  await follower.evaluate((name) => {
    const w = window as unknown as { __heard: { t: number; type: string; from?: string }[] };
    w.__heard = [];
    new BroadcastChannel(name).onmessage = (e: MessageEvent<{ type: string; from?: string }>) =>
      w.__heard.push({ t: Date.now(), type: e.data?.type, ...(e.data?.from ? { from: e.data.from } : {}) });
  }, `chat-${projectId}`);
  const heard = () => follower.evaluate(() => (window as unknown as { __heard: { t: number; type: string; from?: string }[] }).__heard);
  const leaderId = await leader.evaluate(() => (window as unknown as { __chat: { connection: { getConnectionInfo(): { tabId: string } } } }).__chat.connection.getConnectionInfo().tabId);

  // Control: without a fault the follower does not ping for longer than its watchdog (5 s).
  await postMessage(demo.url, projectId, 'm1');
  await expect.poll(() => texts(follower)).toEqual(['m1']);
  await follower.waitForTimeout(6000);
  expect((await heard()).filter((m) => m.type === 'ping')).toEqual([]);

  const tabId = await tabIdOf(leader);
  const ext = await extensionPage(context, extensionId, tabId);
  const t0 = Date.now();
  const fault = await addFault(ext, { kind: 'hold', tabId, durationMs: 9000 });
  await expect.poll(() => warnings.length).toBe(1);
  expect(warnings[0]).toMatch(/injecting: holding back BroadcastChannel posts and SSE events of tab \d+ for 9000 ms/);
  expect((await snapshot()).faults?.map((f) => f.kind)).toEqual(['hold']);
  await postMessage(demo.url, projectId, 'm2');
  await postMessage(demo.url, projectId, 'm3');
  // The follower hears nothing from the leader, its watchdog pings within about 5 s.
  await expect.poll(async () => (await heard()).some((m) => m.type === 'ping'), { timeout: 12_000 }).toBe(true);
  const ping = (await heard()).find((m) => m.type === 'ping')!;
  expect(ping.t - t0).toBeGreaterThanOrEqual(4000);
  expect(ping.t - t0).toBeLessThan(9000);
  expect((await heard()).filter((m) => m.from === leaderId && m.t > t0 + 300 && m.t < ping.t)).toEqual([]);
  // Nothing from the leader reached the follower before its ping (the leader's own events are held too).
  // No pong comes either: the follower takes over (steals the lock) and opens its own stream: failover.
  await expect(follower.getByTestId('role')).toHaveText('leader', { timeout: 8000 });
  expect(Date.now() - t0).toBeLessThan(9000); // during the hold
  // After the hold: every message once, in order, in both tabs (the new leader resumed from the last id it had).
  await expect.poll(() => texts(follower), { timeout: 15_000 }).toEqual(['m1', 'm2', 'm3']);
  await expect.poll(() => texts(leader), { timeout: 15_000 }).toEqual(['m1', 'm2', 'm3']);
  await postMessage(demo.url, projectId, 'm4');
  await expect.poll(() => texts(leader)).toEqual(['m1', 'm2', 'm3', 'm4']);
  await expect.poll(() => texts(follower)).toEqual(['m1', 'm2', 'm3', 'm4']);
  await expect.poll(async () => (await snapshot()).faults?.length).toBe(0);
  // The project settles on one leader.
  await expect
    .poll(async () => [await leader.getByTestId('role').textContent(), await follower.getByTestId('role').textContent()].sort().join(','), { timeout: 15_000 })
    .toBe('follower,leader');
  void fault;
});
}

test('delaying a connection delays every event by the time asked, in order, none lost; clearing it ends the delay', async ({ context, extensionId, tabIdOf, server, snapshot }) => {
  const page = await context.newPage();
  const warnings = collectWarnings(page);
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate((base) => {
    const w = window as unknown as { __got: { n: number; at: number }[]; __es: EventSource };
    w.__got = [];
    w.__es = new EventSource(`${base}/sse/ticker?intervalMs=100`);
    w.__es.onmessage = (e: MessageEvent<string>) => w.__got.push({ n: (JSON.parse(e.data) as { n: number }).n, at: Date.now() });
  }, server.url);
  const got = () => page.evaluate(() => (window as unknown as { __got: { n: number; at: number }[] }).__got);
  await expect.poll(async () => (await got()).length).toBeGreaterThan(3);
  const tabId = await tabIdOf(page);
  const conn = (await snapshot()).connections.find((c) => c.tabId === tabId && c.state === 'open');
  const ext = await extensionPage(context, extensionId, tabId);
  const fault = await addFault(ext, { kind: 'delay', tabId, connectionId: conn!.id, delayMs: 1500 });
  await expect.poll(() => warnings.length).toBe(1);
  expect(warnings[0]).toMatch(/injecting: delaying the events of connection .* by 1500 ms/);
  const before = (await got()).length;
  await page.waitForTimeout(3000);
  const during = await got();
  // A gap of about the delay once the fault started.
  const gaps = during.slice(before - 1).map((m, i, a) => (i === 0 ? 0 : m.at - a[i - 1]!.at));
  expect(Math.max(...gaps)).toBeGreaterThanOrEqual(1300);
  await request(ext, { kind: 'fault:clear', id: fault.id });
  await page.waitForTimeout(1000);
  const all = await got();
  expect(all.map((m) => m.n)).toEqual(all.map((_, i) => all[0]!.n + i)); // in order, none lost or doubled
  // After the clear, events come every ~100 ms again.
  const tail = all.slice(-5).map((m, i, a) => (i === 0 ? 0 : m.at - a[i - 1]!.at));
  expect(Math.max(...tail)).toBeLessThan(600);
  expect((await snapshot()).faults).toEqual([]);
});

test('an unpinned fault ends when the last panel of its tab closes; a pinned one stays until cleared', async ({ context, extensionId, tabIdOf, server, snapshot }) => {
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  const tabId = await tabIdOf(page);
  const panelA = await extensionPage(context, extensionId, tabId);
  const panelB = await extensionPage(context, extensionId, tabId);
  const loose = await addFault(panelA, { kind: 'refuse', tabId, count: 3 });
  const pinned = await addFault(panelA, { kind: 'refuse', tabId, count: 3, pinned: true });
  expect((await snapshot()).faults?.map((f) => f.id).sort()).toEqual([loose.id, pinned.id].sort());
  await panelA.close();
  await panelB.waitForTimeout(300);
  expect((await snapshot()).faults?.map((f) => f.id).sort()).toEqual([loose.id, pinned.id].sort()); // one panel still open
  await panelB.close();
  await expect.poll(async () => (await snapshot()).faults?.map((f) => f.id)).toEqual([pinned.id]);
  const panelC = await extensionPage(context, extensionId, tabId);
  // One click: the view's "Clear all".
  await expect(panelC.getByTestId('fault-list').locator('li')).toHaveCount(1);
  await panelC.getByTestId('fault-clear-all').click();
  await expect.poll(async () => (await snapshot()).faults).toEqual([]);
  await expect(panelC.getByTestId('fault-list').locator('li')).toHaveCount(0);
});

test('requests are validated and only taken from extension pages', async ({ context, extensionId, server }) => {
  const ext = await extensionPage(context, extensionId, 1);
  expect(await request(ext, { kind: 'fault:add', fault: { kind: 'refuse', tabId: 1, count: 0 } })).toBeUndefined();
  expect(await request(ext, { kind: 'fault:add', fault: { kind: 'drop', tabId: 1 } })).toMatchObject({ ok: false });
  expect(await request(ext, { kind: 'fault:add', fault: { kind: 'refuse', tabId: 1, scope: 'project' } })).toMatchObject({ ok: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  // A web page cannot reach the worker at all (no externally_connectable); the relay never forwards such requests.
  expect(await page.evaluate(() => typeof (globalThis as { chrome?: { runtime?: { sendMessage?: unknown } } }).chrome?.runtime?.sendMessage)).toBe('undefined');
});

test('delaying a fetch stream delays what the page reads by the time asked, in order, none lost', async ({ context, extensionId, tabIdOf, server, snapshot }) => {
  const page = await context.newPage();
  const warnings = collectWarnings(page);
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate((base) => {
    const w = window as unknown as { __got: { n: number; at: number }[] };
    w.__got = [];
    void (async () => {
      const r = await fetch(`${base}/sse/ticker?intervalMs=100`, { headers: { Accept: 'text/event-stream' } });
      const reader = r.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (const m of buffer.matchAll(/data: \{"n":(\d+)\}\n\n/g)) w.__got.push({ n: Number(m[1]), at: Date.now() });
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      }
    })();
  }, server.url);
  const got = () => page.evaluate(() => (window as unknown as { __got: { n: number; at: number }[] }).__got);
  await expect.poll(async () => (await got()).length).toBeGreaterThan(3);
  const tabId = await tabIdOf(page);
  const conn = (await snapshot()).connections.find((c) => c.tabId === tabId && c.state === 'open' && c.transport === 'fetch');
  const ext = await extensionPage(context, extensionId, tabId);
  const fault = await addFault(ext, { kind: 'delay', tabId, connectionId: conn!.id, delayMs: 1500 });
  await expect.poll(() => warnings.length).toBe(1);
  const before = (await got()).length;
  await page.waitForTimeout(3000);
  const during = await got();
  const gaps = during.slice(before - 1).map((m, i, a) => (i === 0 ? 0 : m.at - a[i - 1]!.at));
  expect(Math.max(...gaps)).toBeGreaterThanOrEqual(1300);
  await request(ext, { kind: 'fault:clear', id: fault.id });
  await page.waitForTimeout(2500);
  const all = await got();
  expect(all.map((m) => m.n)).toEqual(all.map((_, i) => all[0]!.n + i));
  const tail = all.slice(-5).map((m, i, a) => (i === 0 ? 0 : m.at - a[i - 1]!.at));
  expect(Math.max(...tail)).toBeLessThan(600);
});
