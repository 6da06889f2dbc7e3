/**
 * A real HTTP server for the extension's e2e tests: static pages from
 * tests/e2e/pages and a few SSE endpoints. Binds 127.0.0.1 on a free port.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../pages');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

export interface TestServer {
  url: string;
  port: number;
  /** Requests seen, newest last (method, path with query). */
  requests: { method: string; url: string; at: number }[];
  close(): Promise<void>;
}

function intParam(u: URL, name: string, fallback: number): number {
  const n = Number(u.searchParams.get(name));
  return Number.isFinite(n) && u.searchParams.has(name) ? n : fallback;
}

/** `/sse/ticker?intervalMs=&count=&event=&size=&retry=`: numbered messages with ids; count 0 = forever. */
function ticker(req: http.IncomingMessage, res: http.ServerResponse, u: URL): void {
  const intervalMs = Math.max(1, intParam(u, 'intervalMs', 100));
  const count = intParam(u, 'count', 0);
  const event = u.searchParams.get('event') ?? '';
  const size = intParam(u, 'size', 0);
  const retry = u.searchParams.get('retry');
  const lastId = Number(req.headers['last-event-id'] ?? 0) || 0;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'access-control-allow-origin': '*',
  });
  if (retry) res.write(`retry: ${Number(retry)}\n\n`);
  res.write(': hello\n\n');
  let n = lastId;
  const pad = size > 0 ? 'x'.repeat(size) : '';
  const timer = setInterval(() => {
    n += 1;
    const data = pad ? JSON.stringify({ n, pad }) : JSON.stringify({ n });
    res.write(`${event ? `event: ${event}\n` : ''}id: ${n}\ndata: ${data}\n\n`);
    if (count > 0 && n - lastId >= count) {
      clearInterval(timer);
      res.end();
    }
  }, intervalMs);
  req.on('close', () => clearInterval(timer));
}

/**
 * `/sse/burst?count=20000&size=200`: `count` messages of about `size` bytes,
 * written as fast as the socket takes them (honouring backpressure), then the
 * stream ends.
 */
function burst(req: http.IncomingMessage, res: http.ServerResponse, u: URL): void {
  const count = Math.max(0, intParam(u, 'count', 1000));
  const size = Math.max(0, intParam(u, 'size', 200));
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
  });
  const pad = 'x'.repeat(Math.max(0, size - 20));
  let n = 0;
  let closed = false;
  req.on('close', () => (closed = true));
  const pump = () => {
    while (!closed && n < count) {
      n += 1;
      const ok = res.write(`id: ${n}\ndata: {"n":${n},"p":"${pad}"}\n\n`);
      if (!ok) {
        res.once('drain', pump);
        return;
      }
    }
    // Keep the stream open so EventSource does not reconnect; the page closes it.
    if (!closed) res.write(': done\n\n');
  };
  pump();
}

/** `/sse/status?code=429&retryAfter=10&limit=5&current=5`: a refusal with the seed's headers and body. */
function refusal(req: http.IncomingMessage, res: http.ServerResponse, u: URL): void {
  const code = intParam(u, 'code', 429);
  const retryAfter = u.searchParams.get('retryAfter') ?? '10';
  const limit = intParam(u, 'limit', 5);
  const current = intParam(u, 'current', limit);
  const body = JSON.stringify({
    error: 'too_many_connections',
    message: `SSE connection limit exceeded. Maximum ${limit} connections allowed per user/project.`,
    current_connections: current,
    max_connections: limit,
    retry_after_ms: Number(retryAfter) * 1000,
    recommendation: 'Close other chat windows or switch this tab to follower mode',
  });
  res.writeHead(code, {
    'content-type': 'application/json',
    'retry-after': retryAfter,
    'x-sse-connection-limit': String(limit),
    'x-sse-current-connections': String(current),
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Retry-After, X-SSE-Connection-Limit, X-SSE-Current-Connections',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startTestServer(options: { pagesDir?: string } = {}): Promise<TestServer> {
  const pagesDir = options.pagesDir ?? PAGES;
  const requests: TestServer['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', url: u.pathname + u.search, at: Date.now() });
    if (u.pathname === '/sse/ticker') return ticker(req, res, u);
    if (u.pathname === '/sse/status') return refusal(req, res, u);
    if (u.pathname === '/sse/burst') return burst(req, res, u);
    let file: string;
    try {
      file = path.resolve(pagesDir, '.' + decodeURIComponent(u.pathname === '/' ? '/index.html' : u.pathname));
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!file.startsWith(pagesDir + path.sep)) {
      res.writeHead(400).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
        res.end(body);
      },
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
