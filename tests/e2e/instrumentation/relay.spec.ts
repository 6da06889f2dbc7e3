/**
 * The path from page to worker under stress: a worker that stops mid-stream,
 * and a page that produces more events at once than its queue holds.
 */
import { test as base, expect } from '../fixtures';
import { startInstrumentationServer, type InstrumentationServer } from './server';

const test = base.extend<{ iserver: InstrumentationServer }>({
  iserver: async ({}, use) => {
    const server = await startInstrumentationServer();
    await use(server);
    await server.close();
  },
});

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

test('a flood larger than the page queue drops the oldest events and says how many', async ({ context, worker, snapshot, iserver }) => {
  void worker;
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

test('a stream of one event per task makes far fewer extension messages than events', async ({ context, worker, snapshot, iserver }) => {
  void worker;
  const page = await context.newPage();
  await page.goto(`${iserver.url}/instrumentation/pacing.html`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { messages: number }).messages)).toBe(100);
  await expect
    .poll(async () => (await snapshot()).connections.find((c) => c.url === `${iserver.url}/ticker?intervalMs=10`)?.messageCount)
    .toBe(100);
  // 100 events 10 ms apart take about a second: about 20 batches of 50 ms, not 100.
  const batches = await page.evaluate(() => (window as unknown as { batches: number }).batches);
  expect(batches).toBeGreaterThan(0);
  expect(batches).toBeLessThan(50);
});
