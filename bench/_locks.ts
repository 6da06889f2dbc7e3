import { extensionWorker, launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { PAGES } from './page-overhead';
import { cpuByKind, cpuSpent } from './proc-cpu';
const server = await startTestServer({ pagesDir: PAGES });
const variants: (string | false)[] = [false, ...process.argv.slice(2)];
const res: Record<string, Record<string, number>[]> = {};
for (let i = 0; i < 5; i++) for (const v of variants) {
  const b = await launchChromium(v ? { dist: v } : { extension: false });
  if (v) await extensionWorker(b.context);
  const p = await b.context.newPage();
  await p.goto(`${server.url}/micro.html`);
  await p.waitForTimeout(300);
  const before = cpuByKind();
  const ms = await p.evaluate(() => (window as unknown as { locks(n: number): Promise<number> }).locks(3000));
  await p.waitForTimeout(500);
  const cpu = cpuSpent(before, cpuByKind());
  (res[String(v)] ??= []).push({ ms: Math.round(ms), ...cpu });
  await b.close();
}
for (const [k, list] of Object.entries(res)) {
  const keys = Object.keys(list[0]!);
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(k, keys.map((key) => `${key}=${med(list.map((r) => r[key] ?? 0))}`).join(' '));
}
await server.close();
