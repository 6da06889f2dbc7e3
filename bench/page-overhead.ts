/**
 * What the extension costs a page: the same pages without and with the
 * extension, alternating, in fresh browsers. Reported as ratios.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionWorker, launchChromium, setExtensionSettings } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { intervalField, log, median, ratioInterval, rotate, round, verdict, type Row } from './lib';
import { cpuByKind, cpuSpent } from './proc-cpu';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');

export interface Sample {
  /** The first relay in this fresh browser. */
  relayMs: number;
  /** Every relay of this run, the first included (new pages each time, in the same browser). */
  relaysMs: number[];
  /** CPU ms per process kind (browser, renderer, extension renderer, …) per relay, the mean over this run's relays. */
  relayCpu: Record<string, number>;
  bcMs: number;
  locksMs: number;
  /** CPU ms of all Chromium processes during the 1,000 posts, and during the 1,000 lock requests. */
  bcCpuMs: number;
  locksCpuMs: number;
  /** The same per process kind (first 1,000 posts). */
  bcCpu: Record<string, number>;
  /** The same again, three more times in the same page: the median (warm: no first-use costs). */
  bcWarmMs: number;
  locksWarmMs: number;
  /** A page's first script after the response's first byte (median of the loads after the first). */
  startMs: number;
}

/** Loads of the page-start page per run; the first is left out (the renderer's own first use). */
const START_LOADS = 6;

/**
 * Relays per run (`BENCH_RELAYS`, default 3): the relay scenario again in the
 * same browser, with new pages. On this kind of machine one relay in a fresh
 * browser varies by a quarter from launch to launch, without the extension
 * as with it (docs/benchmarks.md); a few relays per launch make the medians
 * steadier, and the first of each launch is still reported on its own.
 */
export const RELAYS = Math.max(1, Number(process.env.BENCH_RELAYS ?? 3));

/**
 * One run: without the extension (false), with dist/ (true), or with the
 * build in a given directory; `settings` are set before the pages open.
 */
export async function once(extension: boolean | string, serverUrl: string, count: number, settings?: Record<string, unknown>, relays = RELAYS): Promise<Sample> {
  const browser = await launchChromium(typeof extension === 'string' ? { dist: extension } : { extension });
  try {
    const { context } = browser;
    if (extension) {
      const worker = await extensionWorker(context);
      if (settings) await setExtensionSettings(context, worker, settings);
    }
    const relaysMs: number[] = [];
    const relayCpu: Record<string, number> = {};
    // count 0: the micro pages only (bench/compare-builds.ts --messages 0).
    for (let r = 0; count > 0 && r < relays; r++) {
      const follower = await context.newPage();
      await follower.goto(`${serverUrl}/relay-follower.html?count=${count}&relay=${r}`);
      await follower.waitForFunction(() => (window as { ready?: boolean }).ready === true);
      const leader = await context.newPage();
      const cpuBefore = cpuByKind();
      await leader.goto(`${serverUrl}/relay-leader.html?count=${count}&relay=${r}`);
      await follower.waitForFunction(() => typeof (window as { followerDone?: number }).followerDone === 'number', null, { timeout: 120_000, polling: 50 });
      for (const [kind, ms] of Object.entries(cpuSpent(cpuBefore, cpuByKind()))) relayCpu[kind] = (relayCpu[kind] ?? 0) + ms / relays;
      const startedAt = await leader.evaluate(() => (window as unknown as { startedAt: number }).startedAt);
      const doneAt = await follower.evaluate(() => (window as unknown as { followerDone: number }).followerDone);
      relaysMs.push(doneAt - startedAt);
      await leader.close();
      await follower.close();
    }
    const relayMs = relaysMs[0] ?? 0;
    const micro = await context.newPage();
    await micro.goto(`${serverUrl}/micro.html`);
    const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
    let before = cpuByKind();
    const bcMs = await micro.evaluate(() => (window as unknown as { bcPosts(n: number): Promise<number> }).bcPosts(1000));
    const bcCpu = cpuSpent(before, cpuByKind());
    const bcCpuMs = total(bcCpu);
    before = cpuByKind();
    const locksMs = await micro.evaluate(() => (window as unknown as { locks(n: number): Promise<number> }).locks(1000));
    const locksCpuMs = total(cpuSpent(before, cpuByKind()));
    const bcWarm: number[] = [];
    const locksWarm: number[] = [];
    for (let i = 0; i < 3; i++) {
      bcWarm.push(await micro.evaluate(() => (window as unknown as { bcPosts(n: number): Promise<number> }).bcPosts(1000)));
      locksWarm.push(await micro.evaluate(() => (window as unknown as { locks(n: number): Promise<number> }).locks(1000)));
    }
    const starts: number[] = [];
    for (let i = 0; i < START_LOADS; i++) {
      const page = await context.newPage();
      await page.goto(`${serverUrl}/start.html?load=${i}`);
      const info = await page.evaluate(() => (window as unknown as { startInfo: { responseStart: number; firstScript: number } }).startInfo);
      if (i > 0) starts.push(info.firstScript - info.responseStart);
      await page.close();
    }
    return { relayMs, relaysMs, relayCpu, bcMs, locksMs, bcCpuMs, locksCpuMs, bcCpu, bcWarmMs: median(bcWarm), locksWarmMs: median(locksWarm), startMs: median(starts) };
  } finally {
    await browser.close();
  }
}

export { PAGES };

export async function pageOverhead(runs = 5, count = 20_000): Promise<Row[]> {
  const server = await startTestServer({ pagesDir: PAGES });
  try {
    log(`page overhead: ${runs} runs each, rotating: without, with (default settings), with every message logged; ${RELAYS} relays of ${count} messages per run`);
    // Default settings log 200 messages a second per connection or channel
    // one by one and count the rest (the message log rate); the third
    // variant logs every message (messageLogRate 0), the cost of the full log.
    const logged = (name: string, run: () => Promise<Sample>) => async () => {
      const s = await run();
      log(`  ${name}: relays ${s.relaysMs.map((ms) => round(ms, 0)).join(' / ')} ms, bc ${round(s.bcMs, 1)} / warm ${round(s.bcWarmMs, 1)} ms, locks ${round(s.locksMs, 1)} / warm ${round(s.locksWarmMs, 1)} ms, page start ${round(s.startMs, 1)} ms`);
      return s;
    };
    const [without, withExt, everyMessage] = (await rotate(runs, [
      logged('without', () => once(false, server.url, count)),
      logged('with', () => once(true, server.url, count)),
      logged('every message logged', () => once(true, server.url, count, { messageLogRate: 0 })),
    ])) as [Sample[], Sample[], Sample[]];
    const rows: Row[] = [];
    // A row from each run's observations of one figure (one per run, or every relay), without and with:
    // the medians, their ratio, the ratio's 95 % interval over the runs and, for a ratio target, the verdict.
    const push = (metric: string, base: number[][], value: number[][], target: string, limit: number | undefined, note?: string) => {
      const b = median(base.flat());
      const v = median(value.flat());
      const interval = ratioInterval(base, value);
      const judged = limit === undefined ? undefined : verdict(interval, limit);
      rows.push({
        benchmark: 'page overhead',
        metric,
        value: round(v, 1),
        unit: 'ms',
        baseline: round(b, 1),
        ratio: round(v / b, 3),
        ...intervalField(interval, 3),
        target,
        ...(judged ? { verdict: judged } : {}),
        runs,
        ...(note ? { note } : {}),
      });
    };
    const add = (metric: string, pick: (s: Sample) => number, target: string, limit: number | undefined, samples = withExt, note?: string) =>
      push(metric, without.map((s) => [pick(s)]), samples.map((s) => [pick(s)]), target, limit, note);
    // The relay: the median of every relay of every run (runs × RELAYS, new pages each time), and of the first relay of each fresh browser.
    const pooled = (metric: string, samples: Sample[], target: string, limit: number | undefined, note: string) =>
      push(metric, without.map((s) => s.relaysMs), samples.map((s) => s.relaysMs), target, limit, note);
    const all = without.flatMap((s) => s.relaysMs);
    const spread = `without the extension one relay took ${round(Math.min(...all), 0)} to ${round(Math.max(...all), 0)} ms`;
    const relayed = `${count.toLocaleString('en')} SSE messages (~200 B) relayed to a 2nd tab`;
    const defaults = 'default settings: 200 messages a second per connection or channel logged one by one, the rest counted';
    pooled(relayed, withExt, '≤ 1.10 (aim ≤ 1.05)', 1.1, `${defaults}; median of ${runs} runs × ${RELAYS} relays (new pages, same browser); ${spread}`);
    add(`${relayed}, the first in a fresh browser`, (s) => s.relayMs, '≤ 1.10', 1.1, withExt, `${defaults}; includes the browser's and the extension's first-use costs`);
    add('1,000 BroadcastChannel posts received (the first in a fresh page)', (s) => s.bcMs, '≤ 1.10', 1.1, withExt, `${defaults}; includes first-use costs`);
    add('1,000 Web Lock requests (the first in a fresh page)', (s) => s.locksMs, '≤ 1.10', 1.1, withExt, 'includes first-use costs');
    const warm = 'the same page, after the first: median of 3 more in each run';
    add('1,000 BroadcastChannel posts received (warm)', (s) => s.bcWarmMs, '≤ 1.10', 1.1, withExt, warm);
    add('1,000 Web Lock requests (warm)', (s) => s.locksWarmMs, '≤ 1.10', 1.1, withExt, warm);
    add(
      'page start: from the response’s first byte to the page’s first script',
      (s) => s.startMs,
      'no target (every page and frame pays it: the content scripts run first)',
      undefined,
      withExt,
      `median of ${START_LOADS - 1} loads per run (a page with one inline script)`,
    );
    const full = 'messageLogRate 0: every message logged (same run, same baseline)';
    pooled(`${relayed}, every message logged`, everyMessage, 'no target (the cost of the full log)', undefined, `${full}; median of ${runs} runs × ${RELAYS} relays`);
    add('1,000 BroadcastChannel posts received (the first in a fresh page), every message logged', (s) => s.bcMs, 'no target', undefined, everyMessage, full);
    // Where the time goes: CPU of every Chromium process per relay (the mean
    // of each run's relays). The pages wait (idle) for the others; on a machine with few cores
    // the extension's worker and the browser process's extra messaging
    // compete with the pages for them.
    const cpu = (s: Sample, kind?: string) => (kind ? (s.relayCpu[kind] ?? 0) : Object.values(s.relayCpu).reduce((a, b) => a + b, 0));
    const cpuRow = (metric: string, kind: string | undefined, note?: string, samples = withExt) => {
      const base = median(without.map((s) => cpu(s, kind)));
      const value = median(samples.map((s) => cpu(s, kind)));
      const interval = base > 0 ? ratioInterval(without.map((s) => [cpu(s, kind)]), samples.map((s) => [cpu(s, kind)])) : null;
      rows.push({
        benchmark: 'page overhead',
        metric,
        value: round(value, 0),
        unit: 'ms CPU',
        baseline: round(base, 0),
        ...(base > 0 ? { ratio: round(value / base, 3) } : {}),
        ...intervalField(interval, 3),
        runs,
        ...(note ? { note } : {}),
      });
    };
    cpuRow('relay run: CPU of all Chromium processes', undefined);
    cpuRow('relay run: CPU of the pages’ renderers', 'renderer');
    cpuRow('relay run: CPU of the browser process', 'browser');
    cpuRow('relay run: CPU of the extension’s service worker process', 'extension renderer (worker)');
    cpuRow('relay run, every message logged: CPU of all Chromium processes', undefined, full, everyMessage);
    cpuRow('relay run, every message logged: CPU of the extension’s service worker process', 'extension renderer (worker)', full, everyMessage);
    return rows;
  } finally {
    await server.close();
  }
}
