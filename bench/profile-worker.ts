/**
 * Profiling aid (not a benchmark): runs the ingest page (page -> relay ->
 * port -> worker) with a CDP CPU profile of the service worker, and prints
 * the functions with the most self time in the worker.
 * `npx tsx bench/profile-worker.ts [events]` (default 200,000);
 * `npx tsx bench/profile-worker.ts direct [events]` feeds the worker's store
 * directly instead (batches of 200 BroadcastChannel posts, as the relay
 * would after validation): the reducer and the write-behind only, timed in
 * the worker until the last write is done.
 * `npx tsx bench/profile-worker.ts locks [requests]` runs the micro page's
 * Web Lock requests one after another (default 3,000; three events each).
 * `npx tsx bench/profile-worker.ts relay [messages]` runs the page-overhead
 * relay scenario instead (a leader tab relays SSE messages of ~200 B to a
 * follower tab over BroadcastChannel; default 20,000).
 * SSE_CONNECTIONS_DIST points it at another build; PROFILE=0 turns the
 * profiler off (for timings); MESSAGE_LOG_RATE sets the message log rate
 * (default: 0, every message, for ingest and direct; the default setting for
 * relay).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extensionWorker, launchChromium, setExtensionSettings } from '../tests/e2e/support/chromium';
import { Cdp } from '../tests/e2e/support/cdp';
import { startTestServer } from '../tests/e2e/support/server';
import { workerStats } from './ingest';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
const mode = process.argv[2] === 'direct' || process.argv[2] === 'relay' || process.argv[2] === 'locks' ? process.argv[2] : 'ingest';
const direct = mode === 'direct';
const relay = mode === 'relay';
const locks = mode === 'locks';
const total = Number((mode === 'ingest' ? process.argv[2] : process.argv[3]) ?? (relay ? 20_000 : locks ? 3000 : 200_000));
const profiling = process.env.PROFILE !== '0';
const top = Number(process.env.TOP ?? 30);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

const server = await startTestServer({ pagesDir: PAGES });
const browser = await launchChromium({ cdp: true });
try {
  const { context } = browser;
  const worker = await extensionWorker(context);
  // The ingest and direct modes measure the whole log path: every message logged unless MESSAGE_LOG_RATE says otherwise.
  const rate = process.env.MESSAGE_LOG_RATE ?? (relay || locks ? undefined : '0');
  if (rate !== undefined) await setExtensionSettings(context, worker, { messageLogRate: Number(rate) });
  const stats = () => workerStats(worker);
  const page = await context.newPage();
  await page.goto(`${server.url}/ingest.html`);

  const cdp = await Cdp.connectToProfile(browser.userDataDir);
  const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
  const sw = targetInfos.find((t) => t.type === 'service_worker');
  if (!sw) throw new Error('no service worker target');
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId: sw.targetId, flatten: true });
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
  if (profiling) await cdp.send('Profiler.start', {}, sessionId);

  if (direct) {
    const { ms, bytes, persistErrors } = await worker.evaluate(async (n) => {
      type Dispatch = (a: unknown) => void;
      const store = (globalThis as unknown as { __sseConnections: { dispatch: Dispatch; flush(): Promise<void> } }).__sseConnections;
      const t = Date.now();
      store.dispatch({ kind: 'doc:hello', tabId: 999, frameId: 0, docId: 'direct-doc-0000', url: 'http://bench.test/', title: 'direct', t });
      store.dispatch({ kind: 'doc:events', tabId: 999, frameId: 0, docId: 'direct-doc-0000', seq: 0, events: [{ kind: 'bc:create', t, id: 1, name: 'chat-direct' }], invalid: 0, dropped: 0, t });
      const t0 = performance.now();
      const batch = 200;
      for (let sent = 0, seq = 1; sent < n; seq++) {
        const events = [];
        for (let i = 0; i < batch && sent < n; i++, sent++) events.push({ kind: 'bc:post', t: t + sent / 100, id: 1, size: String(sent).length, preview: String(sent) });
        store.dispatch({ kind: 'doc:events', tabId: 999, frameId: 0, docId: 'direct-doc-0000', seq, events, invalid: 0, dropped: 0, t: Date.now() });
        // Let timers run now and then (the write-behind), as port messages would.
        if (seq % 25 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      await store.flush();
      const ms = performance.now() - t0;
      const bytes = await chrome.storage.session.getBytesInUse(null);
      return { ms, bytes, persistErrors: (store as unknown as { persistErrors: number }).persistErrors };
    }, total);
    console.log(`${total} events dispatched directly: ${Math.round(ms)} ms in the worker (${Math.round((total / ms) * 1000)} ev/s); storage.session ${(bytes / 2 ** 20).toFixed(1)} MB in use, ${persistErrors} failed writes`);
  }

  if (relay) {
    const follower = await context.newPage();
    await follower.goto(`${server.url}/relay-follower.html?count=${total}`);
    await follower.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const leader = await context.newPage();
    const t0 = Date.now();
    await leader.goto(`${server.url}/relay-leader.html?count=${total}`);
    await follower.waitForFunction(() => typeof (window as { followerDone?: number }).followerDone === 'number', null, { timeout: 120_000, polling: 50 });
    console.log(`relay of ${total} messages: ${Date.now() - t0} ms`);
  }

  if (locks) {
    await page.goto(`${server.url}/micro.html`);
    const ms = await page.evaluate((n) => (window as unknown as { locks(n: number): Promise<number> }).locks(n), total);
    console.log(`${total} Web Lock requests one after another: ${Math.round(ms)} ms`);
  }

  const before = await stats();
  const t0 = Date.now();
  const produceMs = direct || relay || locks ? 0 : await page.evaluate(
    ([n, chunk]) => (window as unknown as { produce(n: number, c: number): Promise<number> }).produce(n, chunk),
    [total, 1000] as const,
  );
  let s = await stats();
  const deadline = Date.now() + 300_000;
  while (mode === 'ingest' && s.accepted + s.droppedByPage - before.accepted - before.droppedByPage < total && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    s = await stats();
  }
  const ingestMs = Date.now() - t0;
  const after = await worker.evaluate(async () => {
    const store = (globalThis as unknown as { __sseConnections: { flush(): Promise<void>; persistErrors: number; state: { log: unknown[] } } }).__sseConnections;
    await store.flush();
    return { persistErrors: store.persistErrors, log: store.state.log.length, bytes: await chrome.storage.session.getBytesInUse(null) };
  });
  console.log(`log ${after.log} entries; storage.session ${(after.bytes / 2 ** 20).toFixed(1)} MB in use; ${after.persistErrors} failed writes in all`);
  const { profile } = profiling
    ? await cdp.send<{ profile: { nodes: Node[]; startTime: number; endTime: number } }>('Profiler.stop', {}, sessionId)
    : { profile: { nodes: [] as Node[] } };
  cdp.close();

  if (mode === 'ingest') console.log(`${total} events: produced in ${Math.round(produceMs)} ms, taken by the worker in ${ingestMs} ms (${Math.round((total / ingestMs) * 1000)} ev/s); accepted ${s.accepted - before.accepted}, dropped ${s.droppedByPage - before.droppedByPage}`);
  if (profiling) report(profile.nodes);
} finally {
  await browser.close();
  await server.close();
}

/** Self time, then inclusive time, of the functions in a CPU profile, as shares of the busy samples. */
function report(nodes: Node[]): void {
  const self = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const n of nodes) {
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
  const byId = new Map(nodes.map((n) => [n.id, n]));
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
  walk(nodes[0]!.id, new Set());
  console.log('inclusive share of busy samples (named functions, top):');
  for (const [k, v] of [...inclusive].filter(([k]) => !k.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((v / busy) * 100).toFixed(1).padStart(6)}%  ${k}`);
  }
}
