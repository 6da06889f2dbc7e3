import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ensurePagesBuilt } from './build-pages.js';
import { debugConnections, headStream, openStream, postMessage, type ChatContext, type LiveStream } from './chat.js';
import { answerPreflight, applyCors, sendError, sendJson } from './http-util.js';
import { MemoryLimitStore, MemoryMessageBus } from './memory-store.js';
import { connectRedis, RedisHold, RedisLimitStore, RedisMessageBus } from './redis-store.js';
import { StoreUnavailableError, type LimitStore, type MessageBus } from './store-types.js';
import { ensureUserCookie, serveStatic } from './static.js';
import { ticker } from './ticker.js';

export interface DemoServerOptions {
  /** 0 = a free port (default) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** connections per user and project, default 5 */
  limit?: number;
  /** Retry-After of a refusal, default 10 */
  retryAfterSec?: number;
  /** share limits and messages with other instances through Redis */
  redisUrl?: string;
  instanceId?: string;
  /** comment heartbeat and Redis TTL refresh period, default 15000 (TTL = 3 periods) */
  heartbeatMs?: number;
  log?: boolean;
  /** build the demo pages when missing or stale, default true */
  buildPages?: boolean;
  /** a stream whose unsent output exceeds this many bytes is dropped as a slow consumer, default 512 KiB */
  maxBufferedBytes?: number;
  /** chat streams one instance holds at most, over all users, default 10000 (then 503 server_busy) */
  maxStreams?: number;
  /** a request head must arrive within this time, default 10000 (then 408) */
  headersTimeoutMs?: number;
  /** a whole request (head and body) must arrive within this time, default 30000 (then 408); responses are not bounded */
  requestTimeoutMs?: number;
}

export interface DemoServerStats {
  /** chat streams open on this instance */
  streams: number;
  /** ticker streams open on this instance */
  tickers: number;
  /** bytes written to chat streams and not yet taken by their sockets */
  bufferedBytes: number;
  /** streams dropped as slow consumers */
  dropped: number;
  /** streams closed because there was no room under the limit after the store recovered */
  evicted: number;
}

export interface DemoServer {
  url: string;
  port: number;
  instanceId: string;
  stats(): DemoServerStats;
  close(): Promise<void>;
}

const HISTORY_SIZE = 1000;
/** longer URLs get 414 (Node itself refuses request heads over 16 KiB with 431) */
const MAX_URL_LENGTH = 8 * 1024;
const DEBUG_RE = /^\/api\/debug\/sse-connections\/([^/]+)\/([^/]+)\/?$/;

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const limit = opts.limit ?? 5;
  const retryAfterSec = opts.retryAfterSec ?? 10;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  if (!Number.isInteger(retryAfterSec) || retryAfterSec < 0) throw new Error('retryAfterSec must be a non-negative integer');
  if (!(heartbeatMs > 0)) throw new Error('heartbeatMs must be positive');
  const maxBufferedBytes = opts.maxBufferedBytes ?? 512 * 1024;
  const maxStreams = opts.maxStreams ?? 10_000;
  if (!(maxBufferedBytes >= 0)) throw new Error('maxBufferedBytes must be non-negative');
  if (!Number.isInteger(maxStreams) || maxStreams < 1) throw new Error('maxStreams must be a positive integer');
  const instanceId = opts.instanceId ?? `i-${randomBytes(4).toString('hex')}`;
  const log = opts.log ? (...a: unknown[]) => console.log(`[demo-server ${instanceId}]`, ...a) : () => undefined;

  if (opts.buildPages !== false) await ensurePagesBuilt(log);

  const ttlMs = Math.max(3 * heartbeatMs, 1000);
  const live = new Map<string, LiveStream>();
  const stats = { dropped: 0, evicted: 0 };
  // After a Redis outage: raise the message sequences again, then register every live stream
  // again under the limit (closing the ones that no longer fit). See docs/demo-server.md.
  let onRedisBack = (): void => undefined;
  const redisOpts = { reconnectMaxMs: Math.min(1000, heartbeatMs), log, onReconnect: () => onRedisBack() };
  const redis = opts.redisUrl ? await connectRedis(opts.redisUrl, redisOpts) : undefined;
  let limits: LimitStore;
  let bus: MessageBus;
  let redisBus: RedisMessageBus | undefined;
  if (redis) {
    // the hold after Redis lost its data lasts one TTL: every live instance has reconnected
    // (reconnect attempts are at most min(1 s, heartbeat) apart) and registered its streams again
    const hold = new RedisHold(redis, ttlMs);
    await hold.init();
    limits = new RedisLimitStore(redis, ttlMs, hold);
    redisBus = await RedisMessageBus.create(redis, HISTORY_SIZE, hold, redisOpts);
    bus = redisBus;
  } else {
    limits = new MemoryLimitStore();
    bus = new MemoryMessageBus(HISTORY_SIZE);
  }
  const ctx: ChatContext = { limits, bus, limit, retryAfterSec, instanceId, heartbeatMs, live, maxBufferedBytes, maxStreams, stats, opening: 0, log };
  const tickers = new Set<() => void>();

  // Keeps this instance's streams registered (Redis): one run at a time; a run asked for while
  // one is going happens right after it.
  let keeping: Promise<void> | undefined;
  let keepAgain = false;
  let stopped = false;
  // set on reconnect, cleared once the sequences were raised (retried on every refresh until then)
  let restorePending = false;
  const keepOnce = async (): Promise<void> => {
    if (restorePending && redisBus) {
      try {
        await redisBus.restoreSequences();
        restorePending = false;
      } catch (err) {
        log('restoring sequences failed', err instanceof Error ? err.message : err);
      }
    }
    const snapshot = [...live.values()].map((l) => l.info);
    const evicted = await limits.refresh(snapshot, limit);
    for (const id of evicted) {
      const l = live.get(id);
      if (!l) continue;
      stats.evicted += 1;
      l.evict();
    }
    // a stream that closed while the refresh ran may have been registered again: release it
    await Promise.all(snapshot.filter((i) => !live.has(i.id)).map((i) => limits.release(i)));
  };
  const keep = (): void => {
    if (stopped) return;
    if (keeping) {
      keepAgain = true;
      return;
    }
    keeping = keepOnce()
      .catch((err: unknown) => log('refresh failed', err instanceof Error ? err.message : err))
      .finally(() => {
        keeping = undefined;
        if (keepAgain) {
          keepAgain = false;
          keep();
        }
      });
  };
  onRedisBack = () => {
    restorePending = true;
    keep();
  };
  const refreshTimer = redis ? setInterval(keep, heartbeatMs) : undefined;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    applyCors(req, res);
    const rawUrl = req.url ?? '/';
    if (rawUrl.length > MAX_URL_LENGTH) return sendError(res, 414, 'uri_too_long', `the URL must be at most ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(rawUrl, 'http://localhost');
    } catch {
      return sendError(res, 400, 'invalid_url', 'the request target is not a valid URL path');
    }
    if (method === 'OPTIONS') return answerPreflight(res);
    const path = url.pathname;

    if (path === '/api/persistent-chat/stream') {
      if (method === 'GET') return openStream(ctx, req, res, url);
      if (method === 'HEAD') return headStream(ctx, req, res, url);
      res.setHeader('Allow', 'GET, HEAD, OPTIONS');
      return sendError(res, 405, 'method_not_allowed', 'use GET or HEAD');
    }
    if (path === '/api/persistent-chat/messages') {
      if (method === 'POST') return postMessage(ctx, req, res, url);
      res.setHeader('Allow', 'POST, OPTIONS');
      return sendError(res, 405, 'method_not_allowed', 'use POST');
    }
    const dbg = DEBUG_RE.exec(path);
    if (dbg) {
      if (method !== 'GET') {
        res.setHeader('Allow', 'GET, OPTIONS');
        return sendError(res, 405, 'method_not_allowed', 'use GET');
      }
      let u: string;
      let p: string;
      try {
        u = decodeURIComponent(dbg[1] ?? '');
        p = decodeURIComponent(dbg[2] ?? '');
      } catch {
        return sendError(res, 400, 'invalid_path', 'malformed percent-encoding');
      }
      return debugConnections(ctx, res, u, p);
    }
    if (path === '/api/ticker') {
      if (method !== 'GET') {
        res.setHeader('Allow', 'GET, OPTIONS');
        return sendError(res, 405, 'method_not_allowed', 'use GET');
      }
      if (tickers.size >= maxStreams) {
        res.setHeader('Retry-After', String(Math.max(1, retryAfterSec)));
        return sendError(res, 503, 'server_busy', `this instance holds its maximum of ${maxStreams} ticker streams; try again later`);
      }
      return ticker(
        req,
        res,
        url,
        (end) => {
          tickers.add(end);
          return () => tickers.delete(end);
        },
        maxBufferedBytes,
        () => {
          stats.dropped += 1;
        },
      );
    }
    if (path === '/api/whoami') {
      const userId = ensureUserCookie(req, res);
      return sendJson(res, 200, { userId, instanceId, limit });
    }
    if ((method === 'GET' || method === 'HEAD') && serveStatic(req, res, url)) return;
    sendError(res, 404, 'not_found', `no route for ${method} ${path}`);
  };

  const server = createServer(
    {
      // a client that sends its request head slowly (or never) is cut off; SSE responses are
      // not affected (these bound receiving the request, not sending the response)
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: Math.min(2_000, opts.headersTimeoutMs ?? 2_000),
    },
    (req, res) => {
      route(req, res).catch((err: unknown) => {
        if (err instanceof StoreUnavailableError) {
          log(`503 ${err.code} ${req.method} ${req.url}`);
          if (res.headersSent) return void res.destroy();
          res.setHeader('Retry-After', String(err.retryAfterSec));
          return sendError(res, 503, err.code, err.message);
        }
        if (req.destroyed && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return void res.destroy(); // the client went away mid-body
        console.error('[demo-server] request failed', err);
        if (!res.headersSent) sendError(res, 500, 'internal_error', 'internal error');
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 5000;
  // CONNECT never reaches the request handler (Node would just close the socket): no proxying here
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    const body = JSON.stringify({ error: 'method_not_allowed', message: 'CONNECT is not supported' });
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, OPTIONS\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // Requests Node refuses before they reach us (malformed, head over 16 KiB, too slow) get a
  // JSON error too, instead of Node's bare status line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // as Node's own handler does: never write a response into one already under way
    // (_httpMessage is Node's internal link from a socket to its current response)
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({
      error: status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request',
      message: status === 431 ? 'the request head (URL and headers) must be at most 16 KiB' : status === 408 ? 'the request took too long to arrive' : 'malformed HTTP request',
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  log(`listening on http://${urlHost}:${port} limit=${limit} ${redis ? 'redis' : 'memory'}`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    instanceId,
    stats: () => {
      let bufferedBytes = 0;
      for (const l of live.values()) bufferedBytes += l.buffered();
      return { streams: live.size, tickers: tickers.size, bufferedBytes, dropped: stats.dropped, evicted: stats.evicted };
    },
    close: () =>
      (closing ??= (async () => {
        stopped = true;
        if (refreshTimer) clearInterval(refreshTimer);
        const releases = [...live.values()].map(async (l) => {
          l.end();
          await limits.release(l.info).catch(() => undefined);
        });
        for (const end of [...tickers]) end();
        await Promise.all(releases);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await keeping;
        await bus.close();
        await limits.close();
        if (redis) {
          if (redis.isReady) await redis.close().catch(() => undefined);
          else redis.destroy();
        }
      })()),
  };
}
