import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { parseCookies, sendError, USER_COOKIE } from './http-util.js';
import { DIST_DIR, PUBLIC_DIR } from './paths.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
};

function resolveFile(pathname: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  if (rel === '/' || rel === '') rel = '/index.html';
  for (const root of [PUBLIC_DIR, DIST_DIR]) {
    const full = normalize(join(root, rel));
    if (!full.startsWith(root + sep)) continue;
    if (existsSync(full) && statSync(full).isFile()) return full;
  }
  return undefined;
}

/** The user id of the demo, from its cookie; HTML responses set one when missing. */
export function ensureUserCookie(req: IncomingMessage, res: ServerResponse): string {
  const existing = parseCookies(req.headers.cookie).get(USER_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(existing)) return existing;
  const id = `u-${randomBytes(6).toString('hex')}`;
  res.setHeader('Set-Cookie', `${USER_COOKIE}=${id}; Path=/; SameSite=Lax`);
  return id;
}

/** Serves demo/public then demo/dist. Returns false when nothing matched. */
export function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const file = resolveFile(url.pathname);
  if (!file) return false;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  if (type.startsWith('text/html')) ensureUserCookie(req, res);
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'Content-Length': String(statSync(file).size) });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  createReadStream(file)
    .on('error', () => {
      if (!res.headersSent) sendError(res, 500, 'read_failed', 'could not read file');
      else res.destroy();
    })
    .pipe(res);
  return true;
}
