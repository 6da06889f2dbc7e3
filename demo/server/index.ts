import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensurePagesBuilt } from './build-pages.js';
import { debugConnections, headStream, openStream, postMessage, type ChatContext, type LiveStream } from './chat.js';
import { answerPreflight, applyCors, sendError, sendJson } from './http-util.js';
import { MemoryLimitStore, MemoryMessageBus } from './memory-store.js';
import { connectRedis, RedisLimitStore, RedisMessageBus } from './redis-store.js';
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
}

export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HISTORY_SIZE = 1000;
const DEBUG_RE = /^\/api\/debug\/sse-connections\/([^/]+)\/([^/]+)\/?$/;

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const limit = opts.limit ?? 5;
  const retryAfterSec = opts.retryAfterSec ?? 10;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  if (!Number.isInteger(retryAfterSec) || retryAfterSec < 0) throw new Error('retryAfterSec must be a non-negative integer');
  if (!(heartbeatMs > 0)) throw new Error('heartbeatMs must be positive');
  const instanceId = opts.instanceId ?? `i-${randomBytes(4).toString('hex')}`;
  const log = opts.log ? (...a: unknown[]) => console.log(`[demo-server ${instanceId}]`, ...a) : () => undefined;

  if (opts.buildPages !== false) await ensurePagesBuilt(log);

  const redis = opts.redisUrl ? await connectRedis(opts.redisUrl) : undefined;
  const limits = redis ? new RedisLimitStore(redis, Math.max(3 * heartbeatMs, 1000)) : new MemoryLimitStore();
  const bus = redis ? await RedisMessageBus.create(redis, HISTORY_SIZE) : new MemoryMessageBus(HISTORY_SIZE);
  const live = new Map<string, LiveStream>();
  const ctx: ChatContext = { limits, bus, limit, retryAfterSec, instanceId, heartbeatMs, live, log };
  const tickers = new Set<() => void>();

  const refreshTimer = redis
    ? setInterval(() => {
        limits.refresh([...live.values()].map((l) => l.info)).catch((err: unknown) => log('refresh failed', err));
      }, heartbeatMs)
    : undefined;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    applyCors(req, res);
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
      if (method !== 'GET') return sendError(res, 405, 'method_not_allowed', 'use GET');
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
      if (method !== 'GET') return sendError(res, 405, 'method_not_allowed', 'use GET');
      return ticker(req, res, url, (end) => {
        tickers.add(end);
        return () => tickers.delete(end);
      });
    }
    if (path === '/api/whoami') {
      const userId = ensureUserCookie(req, res);
      return sendJson(res, 200, { userId, instanceId, limit });
    }
    if ((method === 'GET' || method === 'HEAD') && serveStatic(req, res, url)) return;
    sendError(res, 404, 'not_found', `no route for ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      console.error('[demo-server] request failed', err);
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'internal error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

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
    close: () =>
      (closing ??= (async () => {
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
        await bus.close();
        await limits.close();
        if (redis) await redis.close().catch(() => undefined);
      })()),
  };
}
