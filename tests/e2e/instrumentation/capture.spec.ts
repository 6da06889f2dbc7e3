/**
 * What the page instrumentation captures reaches the background: the built
 * extension, loaded unpacked, in real Chromium; results read from the
 * worker's snapshot.
 */
import type { Page } from '@playwright/test';
import { test as base, expect } from '../fixtures';
import type { Snapshot, SnapshotConnection } from '../../../src/shared/protocol';
import { startInstrumentationServer, SCRIPTS, type InstrumentationServer } from './server';

const test = base.extend<{ iserver: InstrumentationServer }>({
  iserver: async ({}, use) => {
    const server = await startInstrumentationServer();
    await use(server);
    await server.close();
  },
});

async function connectionFor(snapshot: () => Promise<Snapshot>, match: (c: SnapshotConnection) => boolean, ready: (c: SnapshotConnection) => boolean) {
  let found: SnapshotConnection | undefined;
  await expect
    .poll(async () => {
      found = (await snapshot()).connections.find(match);
      return found !== undefined && ready(found);
    })
    .toBe(true);
  return found as SnapshotConnection;
}

async function openPage(context: import('@playwright/test').BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

test('an EventSource created by an inline <head> script is captured from its first event', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/inline-head.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { log: unknown[][] }).log.length)).toBe(5);
  const log = await page.evaluate(() => (window as unknown as { log: unknown[][] }).log);
  expect(log).toEqual([
    ['message', 'one', '1'],
    ['tick', 'two', '2'],
    ['message', 'three\nlines', '2'],
    ['message', 'last', '9'],
    ['error', 0],
  ]);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/script/basic`,
    (c) => c.state === 'closed',
  );
  expect(c.transport).toBe('eventsource');
  expect(c.frameId).toBe(0);
  // Every event the page saw, from the first: one, two (tick), three, last.
  expect(c.messageCount).toBe(4);
  expect(c.bytes).toBe('one'.length + 'two'.length + 'three\nlines'.length + 'last'.length);
  expect(c.lastEventId).toBe('9');
  expect(c.errorCount).toBe(1);
});

test('reconnect attempts are counted per connection', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/reconnect.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { opens: number }).opens)).toBe(3);
  const messages = await page.evaluate(() => (window as unknown as { messages: number }).messages);
  expect(messages).toBe(6);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/script/basic?page=reconnect`,
    (c) => c.state === 'closed',
  );
  expect({ reconnects: c.reconnects, errorCount: c.errorCount, messageCount: c.messageCount }).toEqual({
    reconnects: 2,
    errorCount: 2,
    messageCount: 6,
  });
});

test('an EventSource in an iframe (src and srcdoc) is captured, with its frame', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/iframe.html`);
  const child = page.frame({ url: /iframe-child/ });
  expect(child).not.toBeNull();
  await expect.poll(() => child?.evaluate(() => (window as unknown as { log: string[] }).log.length)).toBe(1);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/hold?frame=child`,
    (c) => c.messageCount === 1,
  );
  expect(c.transport).toBe('eventsource');
  expect(c.state).toBe('open');
  expect(c.frameId).not.toBe(0);
  // An about:srcdoc frame gets the scripts too (match_about_blank).
  const srcdoc = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/hold?frame=srcdoc`,
    (c) => c.messageCount === 1,
  );
  expect(srcdoc.frameId).not.toBe(0);
  expect(srcdoc.frameId).not.toBe(c.frameId);
});

test('an EventSource made from a new about:blank iframe in the same task is captured', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/dynamic-frame.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { log: string[] }).log.length)).toBe(1);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/hold?frame=dynamic`,
    (c) => c.messageCount === 1,
  );
  expect(c.transport).toBe('eventsource');
  expect(c.frameId).not.toBe(0);
});

test('named events the page only listens to with addEventListener are captured', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/named-only.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { ticks: string[] }).ticks)).toEqual(['two']);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/script/basic`,
    (c) => c.state === 'closed',
  );
  // The `tick` event (listened to with addEventListener only) and the three
  // unnamed messages (always observed) are captured; `ignored-type`, which
  // nobody listens to, is not deliverable to anyone in the page.
  expect(c.messageCount).toBe(4);
  expect(c.bytes).toBe('one'.length + 'two'.length + 'three\nlines'.length + 'last'.length);
});

test('events the server names "error" or "open" are messages, not state changes', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/named-error.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { log: unknown[] }).log.length)).toBe(2);
  expect(await page.evaluate(() => (window as unknown as { log: unknown[] }).log)).toEqual([
    ['error', 'not an error'],
    ['message', 'plain'],
  ]);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/script/tricky`,
    (c) => c.state === 'closed',
  );
  // "error" (listened to), "open" (always observed) and "plain": three messages, no error.
  expect({ messageCount: c.messageCount, errorCount: c.errorCount, reconnects: c.reconnects }).toEqual({
    messageCount: 3,
    errorCount: 0,
    reconnects: 0,
  });
});

test('a fetch-based stream is captured while the page reads every byte unchanged', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/fetch-stream.html`);
  const result = await page.evaluate(() => (window as unknown as { result: Promise<{ status: number; bytes: number[] }> }).result);
  expect(result.status).toBe(200);
  expect(Buffer.from(result.bytes).toString('utf8')).toBe(SCRIPTS.basic);
  const c = await connectionFor(
    snapshot,
    (c) => c.url === `${iserver.url}/script/basic?chunkMs=3`,
    (c) => c.state === 'closed',
  );
  expect(c.transport).toBe('fetch');
  expect(c.httpStatus).toBe(200);
  // A fetch stream has no listeners: every event of the stream is parsed, named ones included.
  expect(c.messageCount).toBe(5);
  expect(c.lastEventId).toBe('9');
});

test('BroadcastChannel posts and receipts, Web Locks and a declared role reach the snapshot', async ({ context, worker, snapshot, iserver, tabIdOf }) => {
  void worker;
  const page = await openPage(context, `${iserver.url}/instrumentation/channels-locks.html`);
  const done = await page.evaluate(() => (window as unknown as { done: Promise<unknown> }).done);
  expect(done).toEqual({ data: { hello: 'world', n: 1 }, held: 'object' });
  const tabId = await tabIdOf(page);
  await expect
    .poll(async () => {
      const s = await snapshot();
      return {
        channels: s.channels
          .filter((c) => c.tabId === tabId)
          .map(({ name, posted, received }) => ({ name, posted, received }))
          .sort((a, b) => a.posted - b.posted),
        locks: s.locks
          .filter((l) => l.tabId === tabId)
          .map(({ name, mode, state }) => ({ name, mode, state }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    })
    .toEqual({
      channels: [
        { name: 'chat:demo', posted: 0, received: 1 },
        { name: 'chat:demo', posted: 1, received: 0 },
      ],
      locks: [
        { name: 'leader:demo', mode: 'exclusive', state: 'held' },
        { name: 'reader:demo', mode: 'shared', state: 'released' },
      ],
    });
  await page.evaluate(() => (window as unknown as { releaseLeader: () => void }).releaseLeader());
  await expect
    .poll(async () => (await snapshot()).locks.find((l) => l.tabId === tabId && l.name === 'leader:demo')?.state)
    .toBe('released');
  await expect
    .poll(async () =>
      (await snapshot()).projects
        .find((p) => p.projectKey === 'demo')
        ?.roles.find((r) => r.tabId === tabId),
    )
    .toEqual({ tabId, role: 'leader', source: 'declared' });
});
