/**
 * The path from page to worker under stress: a worker that stops mid-stream,
 * and a page that produces more events at once than its queue holds.
 */
import type { Worker } from '@playwright/test';
import type { LogEntry } from '../../../src/shared/protocol';
import { test as base, expect } from '../fixtures';
import { startInstrumentationServer, type InstrumentationServer } from './server';

const test = base.extend<{ iserver: InstrumentationServer }>({
  iserver: async ({}, use) => {
    const server = await startInstrumentationServer();
    await use(server);
    await server.close();
  },
});

/** A channel's counters and its log entries, from the worker's state. */
function channelLog(worker: Worker, name: string): Promise<{ posted: number; entries: LogEntry[] }> {
  return worker.evaluate((n) => {
    type State = { channels: Map<string, { id: string; name: string; posted: number }>; log: LogEntry[] };
    const state = (globalThis as unknown as { __sseConnections: { state: State } }).__sseConnections.state;
    const channel = [...state.channels.values()].find((c) => c.name === n);
    return { posted: channel?.posted ?? 0, entries: channel ? state.log.filter((e) => e.ref === channel.id) : [] };
  }, name);
}

test('events keep flowing, none lost or doubled, when the worker is stopped mid-stream', async ({ context, worker, snapshot, stopWorker, iserver }) => {
  void worker;
  const page = await context.newPage();
  await page.goto(`${iserver.url}/instrumentation/ticker.html`);
  const url = `${iserver.url}/ticker?intervalMs=40`;
  const countInSnapshot = async () => (await snapshot()).connections.find((c) => c.url === url)?.messageCount ?? 0;
  await expect.poll(countInSnapshot).toBeGreaterThanOrEqual(3);
  await stopWorker();
  // Events keep coming in the page while the worker is down; the relay buffers and reconnects.
  await page.waitForTimeout(800);
  await expect.poll(countInSnapshot).toBeGreaterThan(20);
  const seenByPage = await page.evaluate(() => (window as unknown as { stop: () => number }).stop());
  await expect.poll(countInSnapshot).toBe(seenByPage);
});

test('a flood larger than the page queue drops the oldest events and says how many (every message logged)', async ({ context, worker, snapshot, setSettings, iserver }) => {
  void worker;
  await setSettings({ messageLogRate: 0 });
  const page = await context.newPage();
  await page.goto(`${iserver.url}/instrumentation/flood.html`);
  await expect.poll(async () => (await snapshot()).channels.some((c) => c.name === 'flood')).toBe(true);
  const before = (await snapshot()).stats.droppedByPage;
  expect(await page.evaluate(() => (window as unknown as { flood: () => number }).flood())).toBe(15000);
  await expect
    .poll(async () => {
      const s = await snapshot();
      return { posted: s.channels.find((c) => c.name === 'flood')?.posted, dropped: s.stats.droppedByPage - before };
    })
    .toEqual({ posted: 10000, dropped: 5000 });
});

test('at the default message log rate, the same flood is counted exactly and nothing is dropped', async ({ context, worker, snapshot, iserver }) => {
  const page = await context.newPage();
  await page.goto(`${iserver.url}/instrumentation/flood.html`);
  await expect.poll(async () => (await snapshot()).channels.some((c) => c.name === 'flood')).toBe(true);
  const before = await snapshot();
  expect(await page.evaluate(() => (window as unknown as { flood: () => number }).flood())).toBe(15000);
  await expect.poll(async () => (await snapshot()).channels.find((c) => c.name === 'flood')?.posted).toBe(15000);
  const after = await snapshot();
  expect(after.stats.droppedByPage).toBe(before.stats.droppedByPage);
  const { entries } = await channelLog(worker, 'flood');
  const posts = entries.filter((e) => e.kind === 'bc:post');
  const summaries = entries.filter((e) => e.kind === 'bc:post-summary');
  // The first 200 (a full bucket, and what came back while they went) one by
  // one, in order; the rest in one summary: the loop is one task, so no flush
  // sends the summary before it ends, and until then every post joins it.
  expect(posts.length).toBeGreaterThanOrEqual(200);
  expect(posts.length).toBeLessThan(1000);
  expect(posts.map((e) => e.preview)).toEqual(Array.from({ length: posts.length }, (_, i) => String(i)));
  expect(summaries).toHaveLength(1);
  expect(posts.length + summaries.reduce((n, e) => n + (e.count ?? 0), 0)).toBe(15000);
  expect(summaries[0]!.info).toMatch(/^[\d,]+ posts? over [\d.]+ s, not logged one by one/);
});

test('the stored message log rate applies from the page\'s start, before its first batch reaches the worker', async ({ context, worker, server, setSettings }) => {
  await setSettings({ messageLogRate: 10 });
  const page = await context.newPage();
  // No SSE, channel or lock yet: the relay has not connected to the worker, so only storage can tell it the rate.
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate(() => {
    const ch = new BroadcastChannel('early-flood');
    for (let i = 0; i < 100; i++) ch.postMessage(i);
  });
  await expect.poll(async () => (await channelLog(worker, 'early-flood')).posted).toBe(100);
  const { entries } = await channelLog(worker, 'early-flood');
  const posts = entries.filter((e) => e.kind === 'bc:post');
  expect(posts.map((e) => e.preview)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  expect(entries.filter((e) => e.kind === 'bc:post-summary').reduce((n, e) => n + (e.count ?? 0), 0)).toBe(90);
});

test('SSE messages over the rate are counted with their bytes, and each summary carries the last event id it covers', async ({ context, worker, server, snapshot, setSettings }) => {
  await setSettings({ messageLogRate: 5 });
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  const url = `${server.url}/sse/burst?count=300&size=60`;
  const seen = await page.evaluate(
    (u) =>
      new Promise<{ bytes: number; lastEventId: string }>((resolve) => {
        const es = new EventSource(u);
        let n = 0;
        let bytes = 0;
        es.onmessage = (e) => {
          bytes += new TextEncoder().encode(e.data as string).length;
          if (++n === 300) {
            es.close();
            resolve({ bytes, lastEventId: e.lastEventId });
          }
        };
      }),
    url,
  );
  expect(seen.lastEventId).toBe('300');
  const connection = async () => (await snapshot()).connections.find((c) => c.url === url);
  await expect.poll(async () => (await connection())?.messageCount).toBe(300);
  const c = await connection();
  expect(c?.bytes).toBe(seen.bytes);
  expect(c?.lastEventId).toBe('300');
  const entries = await worker.evaluate((id) => {
    const state = (globalThis as unknown as { __sseConnections: { state: { log: LogEntry[] } } }).__sseConnections.state;
    return state.log.filter((e) => e.ref === id && (e.kind === 'es:message' || e.kind === 'es:message-summary'));
  }, c?.id ?? '');
  // The server numbers its messages 1, 2, 3, ...: after n messages, logged or counted, the last event id is n.
  let n = 0;
  const ids: [string, string | undefined, string][] = [];
  for (const e of entries) {
    n += e.kind === 'es:message-summary' ? (e.count ?? 0) : 1;
    ids.push([e.kind, e.lastEventId, String(n)]);
  }
  expect(n).toBe(300);
  expect(entries.filter((e) => e.kind === 'es:message').length).toBeLessThan(50);
  expect(entries.some((e) => e.kind === 'es:message-summary')).toBe(true);
  expect(ids.map(([kind, id]) => [kind, id])).toEqual(ids.map(([kind, , expected]) => [kind, expected]));
});

test('lock requests over the rate are counted when short, and a lock held past the batch is still seen as held', async ({ context, worker, server, setSettings }) => {
  await setSettings({ messageLogRate: 5 });
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  await page.evaluate(async () => {
    for (let i = 0; i < 50; i++) await navigator.locks.request('chat-rate', async () => {});
    // Over the rate too, but held until the test lets go.
    void navigator.locks.request('chat-rate', () => new Promise<void>((r) => ((window as unknown as { letGo: () => void }).letGo = r)));
  });
  type Lock = { name: string; state: string };
  const locksOf = () =>
    worker.evaluate(() => {
      const state = (globalThis as unknown as { __sseConnections: { state: { locks: Map<string, Lock>; log: LogEntry[] } } }).__sseConnections.state;
      const log = state.log.filter((e) => e.name === 'chat-rate');
      return {
        states: [...state.locks.values()].filter((l) => l.name === 'chat-rate').map((l) => l.state),
        requests: log.filter((e) => e.kind === 'lock:request').length,
        counted: log.filter((e) => e.kind === 'lock:request-summary').reduce((n, e) => n + (e.count ?? 0), 0),
      };
    });
  // The held one is revealed with the next batch: the worker sees it held.
  await expect.poll(async () => (await locksOf()).states.filter((s) => s === 'held').length).toBe(1);
  await page.evaluate(() => (window as unknown as { letGo: () => void }).letGo());
  await expect.poll(async () => (await locksOf()).states.filter((s) => s === 'held').length).toBe(0);
  const after = await locksOf();
  // Every request is accounted for: logged one by one, or counted in a summary.
  expect(after.requests + after.counted).toBe(51);
  expect(after.counted).toBeGreaterThan(30);
  expect(after.states.every((s) => s === 'released')).toBe(true);
});

test('a stream of one event per task makes far fewer extension messages than events', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await context.newPage();
  await page.goto(`${iserver.url}/instrumentation/pacing.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { messages: number }).messages)).toBe(100);
  await expect
    .poll(async () => (await snapshot()).connections.find((c) => c.url === `${iserver.url}/ticker?intervalMs=10`)?.messageCount)
    .toBe(100);
  // 100 events 10 ms apart take about a second: about 5 batches of 200 ms, not 100.
  const batches = await page.evaluate(() => (window as unknown as { batches: number }).batches);
  expect(batches).toBeGreaterThan(0);
  expect(batches).toBeLessThan(20);
});
