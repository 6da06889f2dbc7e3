/**
 * Transparency: the same page of checks (pages/instrumentation/conformance.js)
 * runs in Chromium without the extension and with it; every observable result
 * must be identical. The extension run also proves the page was instrumented
 * (its streams, channels and locks reach the snapshot), so equality is not
 * the trivial result of a wrapper that never ran.
 */
import type { BrowserContext } from '@playwright/test';
import { test as base, expect } from '../fixtures';
import { launchChromium } from '../support/chromium';
import { startInstrumentationServer, type InstrumentationServer } from './server';

const test = base.extend<{ iserver: InstrumentationServer }>({
  iserver: async ({}, use) => {
    const server = await startInstrumentationServer();
    await use(server);
    await server.close();
  },
});

type Results = Record<string, unknown>;

async function runChecks(context: BrowserContext, url: string): Promise<{ results: Results; hook: string }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/instrumentation/conformance.html`);
  const results = await page.evaluate(() => (window as unknown as { conformance: Promise<Results> }).conformance);
  const hook = await page.evaluate(() => typeof (window as unknown as Record<string, unknown>).__SSE_DEVTOOLS_HOOK__);
  await page.close();
  return { results, hook };
}

/** Leaves of a results tree: each compared value is one assertion. */
function countLeaves(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + countLeaves(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + countLeaves(x), 0);
  return 1;
}

test('a page cannot tell whether the extension is there: identical results without and with it', async ({ context, worker, snapshot, iserver }) => {
  test.setTimeout(120_000);
  void worker;
  const plainBrowser = await launchChromium({ extension: false });
  let plain: { results: Results; hook: string };
  try {
    plain = await runChecks(plainBrowser.context, iserver.url);
  } finally {
    await plainBrowser.close();
  }
  const instrumented = await runChecks(context, iserver.url);

  // The hook is the one intended difference.
  expect(plain.hook).toBe('undefined');
  expect(instrumented.hook).toBe('object');

  const names = Object.keys(plain.results);
  expect(names.length).toBeGreaterThanOrEqual(40);
  expect(countLeaves(plain.results)).toBeGreaterThan(300);
  // Sanity of the reference run itself.
  expect((plain.results['es.facts'] as unknown[])[0]).toBe('function EventSource() { [native code] }');
  expect((plain.results['fetch.readerCancelCloses'] as unknown[])[1]).toBe(0);
  // The page's own code used the patched built-ins (so a wrapper that used them would change the counts).
  const [events, counts] = plain.results['quiet.patchedBuiltins'] as [number, Record<string, number>];
  expect(events).toBeGreaterThanOrEqual(4);
  expect(counts['Array#push']).toBeGreaterThanOrEqual(4);
  for (const name of names) {
    expect.soft(instrumented.results[name], name).toEqual(plain.results[name]);
  }
  expect(Object.keys(instrumented.results).sort()).toEqual([...names].sort());

  // And the instrumented run was really instrumented.
  await expect
    .poll(async () => {
      const s = await snapshot();
      return {
        eventsource: s.connections.some((c) => c.transport === 'eventsource' && c.url.endsWith('/script/basic') && c.messageCount > 0),
        fetch: s.connections.some((c) => c.transport === 'fetch' && c.url.endsWith('/script/basic?conf=reader') && c.messageCount === 5),
        channel: s.channels.some((c) => c.name === 'conf' && c.posted === 3),
        lock: s.locks.some((l) => l.name === 'conf-A'),
      };
    })
    .toEqual({ eventsource: true, fetch: true, channel: true, lock: true });
});
