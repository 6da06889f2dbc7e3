import { launchChromium } from '../tests/e2e/support/chromium';
import { startTestServer } from '../tests/e2e/support/server';
import { PAGES } from './page-overhead';
import { median, round } from './lib';
const server = await startTestServer({ pagesDir: PAGES });
const N = Number(process.argv[2] ?? 8);
const variants: Record<string, string> = {
  none: '',
  proxy: `(() => { const p = BroadcastChannel.prototype; const o = p.postMessage; const R = Reflect.apply; let c = 0;
    const h = Object.create(null); h.apply = (t, th, a) => { const r = R(t, th, a); c++; return r; };
    Object.defineProperty(p, 'postMessage', { value: new Proxy(o, h), writable: true, configurable: true, enumerable: true }); })();`,
  plain: `(() => { const p = BroadcastChannel.prototype; const o = p.postMessage; const R = Reflect.apply; let c = 0;
    const f = { postMessage(m) { const r = R(o, this, arguments); c++; return r; } }.postMessage;
    Object.defineProperty(p, 'postMessage', { value: f, writable: true, configurable: true, enumerable: true }); })();`,
};
const rows: Record<string, number[]> = {};
const put = (k: string, v: number) => (rows[k] ??= []).push(v);
for (let i = 0; i < N; i++) {
  for (const [name, script] of Object.entries(variants)) {
    const b = await launchChromium({ extension: false });
    try {
      const page = await b.context.newPage();
      if (script) await page.addInitScript(script);
      await page.goto(`${server.url}/micro.html`);
      await page.waitForTimeout(200);
      for (const phase of ['first', 'warm']) {
        const r = await page.evaluate((n: number) => new Promise<Record<string, number>>((resolve) => {
          const a = new BroadcastChannel('m2'), bb = new BroadcastChannel('m2');
          let got = 0; let postSum = 0;
          const t0 = performance.now();
          bb.onmessage = () => { if (++got === n) { a.close(); bb.close(); resolve({ total: performance.now() - t0, posts: postSum }); } };
          for (let i = 0; i < n; i++) { const s = performance.now(); a.postMessage({ i, text: 'hello' }); postSum += performance.now() - s; }
        }), 1000);
        for (const [k, v] of Object.entries(r)) put(`${phase} ${k} ${name}`, v);
      }
    } finally { await b.close(); }
  }
}
await server.close();
for (const [k, v] of Object.entries(rows).sort()) console.log(k.padEnd(28), 'median', round(median(v), 2), ' all', v.map((x) => round(x, 1)).join(' '));
