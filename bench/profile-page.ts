/**
 * Profiling aid (not a benchmark): runs the micro page with the extension and
 * prints the functions with the most self time, from a CDP CPU profile.
 * `npx tsx bench/profile-page.ts [bc|locks|relay]`
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
const which = process.argv[2] ?? 'bc';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

const server = await startTestServer({ pagesDir: PAGES });
const browser = await launchChromium({ extension: process.env.NOEXT ? false : true });
try {
  const { context } = browser;
  const page = await context.newPage();
  await page.goto(`${server.url}/${which === 'relay' ? 'relay-follower.html' : 'micro.html'}`);
  const target = which === 'relay' ? await context.newPage() : page;
  const cdp = await context.newCDPSession(target);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  type Micro = { bcPosts(n: number): Promise<number>; locks(n: number): Promise<number> };
  let ms: number;
  if (which === 'relay') {
    const t0 = Date.now();
    await target.goto(`${server.url}/relay-leader.html`);
    await page.waitForFunction(() => typeof (window as { followerDone?: number }).followerDone === 'number', null, { timeout: 120_000, polling: 50 });
    ms = Date.now() - t0;
  } else {
    // PROFILE_N: more operations than the benchmark's 1,000, for a steadier profile.
    ms = await page.evaluate(([w, n]) => {
      const micro = window as unknown as Micro;
      return w === 'bc' ? micro.bcPosts(n) : micro.locks(n);
    }, [which, Number(process.env.PROFILE_N ?? 1000)] as const);
  }
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: Node[] } };
  console.log(which, 'took', ms, 'ms');
  const self = new Map<string, number>();
  for (const n of profile.nodes) {
    const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(String(v).padStart(6), k);
} finally {
  await browser.close();
  await server.close();
}
