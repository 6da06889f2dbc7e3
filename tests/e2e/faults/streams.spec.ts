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
    const after = (await snapshot()).connections.filter((c) => c.tabId === tabId && c.url.includes('/api/persistent-chat/stream'));
    if (file === 'chat.html') {
      // The same EventSource went through a reconnect, as the browser's own would.
      const same = after.find((c) => c.id === conn!.id);
      expect(same?.state).toBe('open');
      expect(same?.reconnects).toBeGreaterThanOrEqual(1);
    } else {
      // The fetch stream ended (error or done); the client opened a new one.
      expect(after.find((c) => c.id === conn!.id)?.state).toBe('closed');
      expect(after.filter((c) => c.state === 'open')).toHaveLength(1);
    }
    void pageHasFault;
    void request;
  });
}
