/**
 * A server that refuses every stream with 429 and `Retry-After: 3`; two
 * pages that ignore it (one retries with a new EventSource, one with fetch,
 * each every 200 ms, ten times) and one that waits as long as it says
 * (fetch, three tries).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STORM_RETRY_AFTER_SEC = 3;

const page = (title: string, script: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><script>
const projectId = new URLSearchParams(location.search).get('projectId');
const url = '/stream?projectId=' + encodeURIComponent(projectId);
let tries = 0;
${script}
</script></body></html>`;

const ES_STORM = page(
  'Storm: EventSource retried every 200 ms',
  `function go() {
  tries += 1;
  const es = new EventSource(url);
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) return;
    es.close();
    if (tries < 10) setTimeout(go, 200);
  };
}
go();`,
);

const FETCH_STORM = page(
  'Storm: fetch retried every 200 ms',
  `async function go() {
  while (tries < 10) {
    tries += 1;
    const res = await fetch(url, { headers: { Accept: 'text/event-stream' } });
    await res.text();
    if (res.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
go();`,
);

const POLITE_FETCH = page(
  'Polite: fetch waits Retry-After',
  `async function go() {
  while (tries < 3) {
    tries += 1;
    const res = await fetch(url, { headers: { Accept: 'text/event-stream' } });
    await res.text();
    if (res.ok) return;
    const seconds = Number(res.headers.get('Retry-After') ?? '1');
    await new Promise((r) => setTimeout(r, seconds * 1000 + 100));
  }
}
go();`,
);

const PAGES: Record<string, string> = { '/es-storm.html': ES_STORM, '/fetch-storm.html': FETCH_STORM, '/polite-fetch.html': POLITE_FETCH };

export interface StormServer {
  url: string;
  close(): Promise<void>;
}

export async function startStormServer(): Promise<StormServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const html = PAGES[path];
    if (html !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
      return;
    }
    if (path === '/stream') {
      res.writeHead(429, {
        'Content-Type': 'application/json',
        'Retry-After': String(STORM_RETRY_AFTER_SEC),
        'X-SSE-Connection-Limit': '1',
        'X-SSE-Current-Connections': '1',
        'Cache-Control': 'no-store',
      });
      res.end('{"error":"too_many_connections"}');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
