import { extensionWorker, launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { PAGES } from './page-overhead';
import { cpuByKind, cpuSpent } from './proc-cpu';
const server = await startTestServer({ pagesDir: PAGES });
const variants: (string | false)[] = [false, ...process.argv.slice(2)];
const n = Number(process.env.N ?? 1000);
const res: Record<string, Record<string, number>[]> = {};
for (let i = 0; i < 7; i++) for (const v of variants) {
  const b = await launchChromium(v ? { dist: v } : { extension: false });
  if (v) await extensionWorker(b.context);
  const p = await b.context.newPage();
  await p.goto(`${server.url}/micro.html`);
  await p.waitForTimeout(300);
  const before = cpuByKind();
  const ms = await p.evaluate((k) => (window as unknown as { locks(n: number): Promise<number> }).locks(k), n);
  const cpu = cpuSpent(before, cpuByKind());
  (res[String(v)] ??= []).push({ ms: Math.round(ms), ...cpu });
  await b.close();
}
for (const [k, list] of Object.entries(res)) {
  const keys = Object.keys(list[0]!).filter((x) => !/zygote|gpu|utility/.test(x));
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(k, keys.map((key) => `${key}=${med(list.map((r) => r[key] ?? 0))}`).join(' '));
}
await server.close();
