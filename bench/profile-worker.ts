/**
 * Profiling aid (not a benchmark): runs the ingest page (page -> relay ->
 * port -> worker) with a CDP CPU profile of the service worker, and prints
 * the functions with the most self time in the worker.
 * `npx tsx bench/profile-worker.ts [events]` (default 200,000);
 * SSE_CONNECTIONS_DIST points it at another build.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../tests/e2e/support/chromium';
import { Cdp } from '../tests/e2e/support/cdp';
import { startTestServer } from '../tests/e2e/support/server';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
const total = Number(process.argv[2] ?? 200_000);
const top = Number(process.env.TOP ?? 30);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Stats { accepted: number; droppedByPage: number }

const server = await startTestServer({ pagesDir: PAGES });
const browser = await launchChromium({ cdp: true });
try {
  const { context } = browser;
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate(() => 1);
  const stats = () =>
    worker.evaluate(() => ({ ...(globalThis as unknown as { __sseConnections: { state: { stats: Stats } } }).__sseConnections.state.stats }));
  const page = await context.newPage();
  await page.goto(`${server.url}/ingest.html`);

  const cdp = await Cdp.connectToProfile(browser.userDataDir);
  const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
  const sw = targetInfos.find((t) => t.type === 'service_worker');
  if (!sw) throw new Error('no service worker target');
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId: sw.targetId, flatten: true });
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
  await cdp.send('Profiler.start', {}, sessionId);

  const before = await stats();
  const t0 = Date.now();
  const produceMs = await page.evaluate(
    ([n, chunk]) => (window as unknown as { produce(n: number, c: number): Promise<number> }).produce(n, chunk),
    [total, 1000] as const,
  );
  let s = await stats();
  const deadline = Date.now() + 300_000;
  while (s.accepted + s.droppedByPage - before.accepted - before.droppedByPage < total && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    s = await stats();
  }
  const ingestMs = Date.now() - t0;
  const { profile } = await cdp.send<{ profile: { nodes: Node[]; startTime: number; endTime: number } }>('Profiler.stop', {}, sessionId);
  cdp.close();

  console.log(`${total} events: produced in ${Math.round(produceMs)} ms, taken by the worker in ${ingestMs} ms (${Math.round((total / ingestMs) * 1000)} ev/s); accepted ${s.accepted - before.accepted}, dropped ${s.droppedByPage - before.droppedByPage}`);
  const self = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    all += hits;
    if (n.callFrame.functionName === '(idle)') idle += hits;
    const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const busy = all - idle;
  console.log(`samples: ${all}, busy (not idle): ${busy}; self-time share of busy samples:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    if (k.startsWith('(idle)')) continue;
    console.log(`${((v / busy) * 100).toFixed(1).padStart(6)}%  ${String(v).padStart(6)}  ${k}`);
  }
  // Inclusive time of the top-level functions of interest.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  const walk = (id: number, seen: Set<string>): number => {
    const n = byId.get(id)!;
    let sum = n.hitCount ?? 0;
    for (const c of n.children ?? []) sum += walk(c, seen);
    const name = n.callFrame.functionName;
    if (name && !seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + sum);
    return sum;
  };
  // (inclusive is approximate for recursive names; fine for an overview)
  walk(profile.nodes[0]!.id, new Set());
  console.log('inclusive share of busy samples (named functions, top):');
  for (const [k, v] of [...inclusive].filter(([k]) => !k.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((v / busy) * 100).toFixed(1).padStart(6)}%  ${k}`);
  }
} finally {
  await browser.close();
  await server.close();
}
