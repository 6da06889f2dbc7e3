/**
 * What the extension costs a page: the same pages without and with the
 * extension, alternating, in fresh browsers. Reported as ratios.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionWorker, launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { alternate, log, median, round, type Row } from './lib';
import { cpuByKind, cpuSpent } from './proc-cpu';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');

export interface Sample {
  relayMs: number;
  /** CPU ms per process kind (browser, renderer, extension renderer, …) during the relay run. */
  relayCpu: Record<string, number>;
  bcMs: number;
  locksMs: number;
}

/** One run: without the extension (false), with dist/ (true), or with the build in a given directory. */
export async function once(extension: boolean | string, serverUrl: string, count: number): Promise<Sample> {
  const browser = await launchChromium(typeof extension === 'string' ? { dist: extension } : { extension });
  try {
    const { context } = browser;
    if (extension) await extensionWorker(context);
    const follower = await context.newPage();
    await follower.goto(`${serverUrl}/relay-follower.html?count=${count}`);
    await follower.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const leader = await context.newPage();
    const cpuBefore = cpuByKind();
    await leader.goto(`${serverUrl}/relay-leader.html?count=${count}`);
    await follower.waitForFunction(() => typeof (window as { followerDone?: number }).followerDone === 'number', null, { timeout: 120_000, polling: 50 });
    const relayCpu = cpuSpent(cpuBefore, cpuByKind());
    const startedAt = await leader.evaluate(() => (window as unknown as { startedAt: number }).startedAt);
    const doneAt = await follower.evaluate(() => (window as unknown as { followerDone: number }).followerDone);
    const micro = await context.newPage();
    await micro.goto(`${serverUrl}/micro.html`);
    const bcMs = await micro.evaluate(() => (window as unknown as { bcPosts(n: number): Promise<number> }).bcPosts(1000));
    const locksMs = await micro.evaluate(() => (window as unknown as { locks(n: number): Promise<number> }).locks(1000));
    return { relayMs: doneAt - startedAt, relayCpu, bcMs, locksMs };
  } finally {
    await browser.close();
  }
}

export { PAGES };

export async function pageOverhead(runs = 5, count = 20_000): Promise<Row[]> {
  const server = await startTestServer({ pagesDir: PAGES });
  try {
    log(`page overhead: ${runs} runs each, alternating, ${count} messages`);
    const { a: without, b: withExt } = await alternate(
      runs,
      () => once(false, server.url, count),
      () => once(true, server.url, count),
    );
    const rows: Row[] = [];
    const add = (metric: string, pick: (s: Sample) => number, target: string) => {
      const base = median(without.map(pick));
      const value = median(withExt.map(pick));
      rows.push({ benchmark: 'page overhead', metric, value: round(value, 1), unit: 'ms', baseline: round(base, 1), ratio: round(value / base, 3), target, runs });
    };
    add(`${count.toLocaleString('en')} SSE messages (~200 B) relayed to a 2nd tab`, (s) => s.relayMs, '≤ 1.10 (aim ≤ 1.05)');
    add('1,000 BroadcastChannel posts received', (s) => s.bcMs, '≤ 1.10');
    add('1,000 Web Lock requests', (s) => s.locksMs, '≤ 1.10');
    // Where the time goes: CPU of every Chromium process during the relay
    // run. The pages wait (idle) for the others; on a machine with few cores
    // the extension's worker and the browser process's extra messaging
    // compete with the pages for them.
    const cpu = (s: Sample, kind?: string) => (kind ? (s.relayCpu[kind] ?? 0) : Object.values(s.relayCpu).reduce((a, b) => a + b, 0));
    const cpuRow = (metric: string, kind: string | undefined, note?: string) => {
      const base = median(without.map((s) => cpu(s, kind)));
      const value = median(withExt.map((s) => cpu(s, kind)));
      rows.push({ benchmark: 'page overhead', metric, value: round(value, 0), unit: 'ms CPU', baseline: round(base, 0), ...(base > 0 ? { ratio: round(value / base, 3) } : {}), runs, ...(note ? { note } : {}) });
    };
    cpuRow('relay run: CPU of all Chromium processes', undefined);
    cpuRow('relay run: CPU of the pages’ renderers', 'renderer');
    cpuRow('relay run: CPU of the browser process', 'browser');
    cpuRow('relay run: CPU of the extension’s service worker process', 'extension renderer (worker)');
    return rows;
  } finally {
    await server.close();
  }
}
