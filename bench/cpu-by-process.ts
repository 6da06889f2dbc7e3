/**
 * Development aid (not part of `npm run bench`): CPU time each Chromium
 * process spends on the page-overhead relay scenario (20,000 SSE messages
 * relayed to a second tab), without and with the extension, from
 * /proc/<pid>/stat. Tells whether the extension's cost is on the page's
 * thread or elsewhere (the worker, the browser process) competing for cores.
 *
 *   npx tsx bench/cpu-by-process.ts [dist dir]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { PAGES } from './page-overhead';

const TICK_MS = 10; // USER_HZ = 100 on Linux

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // Gone.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function kindOf(pid: number): string {
  try {
    // Chromium rewrites its command line: arguments may be joined by spaces.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!cmd.includes('chrom')) return 'other';
    const type = /--type=(\S+)/.exec(cmd)?.[1];
    if (!type) return 'browser';
    if (type === 'renderer') return cmd.includes('--extension-process') ? 'extension renderer (worker)' : 'renderer';
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
    return sub ? `utility ${sub}` : type;
  } catch {
    return 'gone';
  }
}

function cpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

async function once(extension: boolean | string, serverUrl: string): Promise<Map<string, number>> {
  const browser = await launchChromium(typeof extension === 'string' ? { dist: extension } : { extension });
  try {
    const { context } = browser;
    if (extension) {
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
      await worker.evaluate(() => 1);
    }
    const follower = await context.newPage();
    await follower.goto(`${serverUrl}/relay-follower.html?count=20000`);
    await follower.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const leader = await context.newPage();
    const root = Number(readFileSync(`/proc/self/stat`, 'utf8').split(' ')[0]);
    const before = new Map(descendants(root).map((p) => [p, cpu(p)]));
    await leader.goto(`${serverUrl}/relay-leader.html?count=20000`);
    await follower.waitForFunction(() => typeof (window as { followerDone?: number }).followerDone === 'number', null, { timeout: 120_000, polling: 50 });
    // Let the worker finish what it was sent.
    await new Promise((r) => setTimeout(r, 1500));
    const byKind = new Map<string, number>();
    for (const p of descendants(root)) {
      const k = kindOf(p);
      if (k === 'other') continue;
      byKind.set(k, (byKind.get(k) ?? 0) + cpu(p) - (before.get(p) ?? 0));
    }
    return byKind;
  } finally {
    await browser.close();
  }
}

const server = await startTestServer({ pagesDir: PAGES });
try {
  for (const ext of [false, process.argv[2] ?? true]) {
    const r = await once(ext, server.url);
    console.log(ext === false ? 'without the extension' : `with ${ext === true ? 'dist/' : ext}`);
    for (const [k, v] of [...r].sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(6)} ms  ${k}`);
  }
} finally {
  await server.close();
}
