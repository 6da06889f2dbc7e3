/**
 * A small server for the instrumentation e2e tests: static pages from
 * tests/e2e/pages (so ours are under /instrumentation/) and scripted SSE
 * endpoints whose bytes are known in advance, so a test can compare what a
 * page read with what was sent.
 *
 *   /script/<name>?chunkMs=  the body SCRIPTS[name], written in CHUNK-sized
 *                            pieces (split mid-line on purpose), then the
 *                            response ends
 *   /fail                    500, text/plain (EventSource fails for good)
 *   /hold                    an event-stream that sends one event and stays open
 *   /ticker?intervalMs=      `id: n` / `data: n` every intervalMs, forever
 *   /open-streams[?conf=]    JSON: how many /hold and /script streams are open now
 *                            (with conf: only those whose own conf parameter is that)
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../pages');

/** SSE bodies the pages and tests share. Keep in sync with pages/instrumentation/scripts.js. */
export const SCRIPTS: Record<string, string> = {
  basic: 'retry: 300\n\n: comment\n\nid: 1\ndata: one\n\nevent: tick\nid: 2\ndata: two\n\ndata: three\ndata: lines\n\nevent: ignored-type\ndata: nobody listens\n\nid: 9\ndata: last\n\n',
  crlf: '\uFEFFdata: bom\r\n\r\nevent: tick\r\ndata: cr\r\rdata: lf\n\nid: a\0b\ndata: nul id\n\ndata\n\ndata:no space\n\ntrailing: field\ndata: end\n\ndata: unterminated',
  unicode: 'data: héllo wörld ✓ 😀\n\nevent: tick\ndata: {"n":1,"s":"ü"}\n\n',
  /** Server-named `error` and `open` events: MessageEvents, not state changes. */
  tricky: 'event: error\ndata: not an error\n\nevent: open\ndata: not an open\n\ndata: plain\n\n',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

export interface InstrumentationServer {
  url: string;
  close(): Promise<void>;
}

export async function startInstrumentationServer(): Promise<InstrumentationServer> {
  let openStreams = 0;
  /** Open streams by their `conf` query parameter, so a check counts only its own. */
  const openByConf = new Map<string, number>();
  const track = (conf: string | null, delta: number): void => {
    openStreams += delta;
    if (conf === null) return;
    const n = (openByConf.get(conf) ?? 0) + delta;
    if (n === 0) openByConf.delete(conf);
    else openByConf.set(conf, n);
  };
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const streamHeaders = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-demo-limit': '5',
      'access-control-allow-origin': '*',
    };
    if (u.pathname.startsWith('/script/')) {
      const body = SCRIPTS[u.pathname.slice('/script/'.length)];
      if (body === undefined) return void res.writeHead(404).end();
      const chunkMs = Number(u.searchParams.get('chunkMs') ?? '5');
      const bytes = Buffer.from(body, 'utf8');
      res.writeHead(200, streamHeaders);
      const conf = u.searchParams.get('conf');
      track(conf, 1);
      let offset = 0;
      let closed = false;
      req.on('close', () => {
        if (!closed) track(conf, -1);
        closed = true;
      });
      const step = () => {
        if (closed) return;
        if (offset >= bytes.length) {
          closed = true;
          track(conf, -1);
          res.end();
          return;
        }
        // 7-byte pieces: lines, CRLF pairs and UTF-8 sequences get split.
        res.write(bytes.subarray(offset, offset + 7));
        offset += 7;
        setTimeout(step, chunkMs);
      };
      step();
      return;
    }
    if (u.pathname === '/fail') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('no');
    if (u.pathname === '/hold') {
      res.writeHead(200, streamHeaders);
      const conf = u.searchParams.get('conf');
      track(conf, 1);
      res.write('id: 1\ndata: held\n\n');
      req.on('close', () => track(conf, -1));
      return;
    }
    if (u.pathname === '/ticker') {
      const intervalMs = Math.max(5, Number(u.searchParams.get('intervalMs') ?? '50'));
      res.writeHead(200, streamHeaders);
      let n = 0;
      const timer = setInterval(() => res.write(`id: ${++n}\ndata: ${n}\n\n`), intervalMs);
      req.on('close', () => clearInterval(timer));
      return;
    }
    if (u.pathname === '/open-streams') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      const conf = u.searchParams.get('conf');
      return void res.end(JSON.stringify({ open: conf === null ? openStreams : (openByConf.get(conf) ?? 0) }));
    }
    const file = path.resolve(PAGES, '.' + decodeURIComponent(u.pathname));
    if (!file.startsWith(PAGES + path.sep)) return void res.writeHead(400).end();
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
      },
      () => res.writeHead(404).end('not found'),
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
