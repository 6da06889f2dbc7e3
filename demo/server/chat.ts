import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, parseCookies, readJson, sendError, sendJson, USER_COOKIE } from './http-util.js';
import { buildRefusal, limitHeaders } from './refusal.js';
import { SSE_HEADERS, sseComment, sseEvent } from './sse-writer.js';
import type { AdmitResult, ChatMessage, ConnectionInfo, LimitStore, MessageBus } from './store-types.js';
import { parseChatPost, parseId, parseLastEventId } from './validate.js';

export interface ChatContext {
  limits: LimitStore;
  bus: MessageBus;
  limit: number;
  retryAfterSec: number;
  instanceId: string;
  heartbeatMs: number;
  /** streams open on this instance, by connection id */
  live: Map<string, LiveStream>;
  /** a stream whose unsent output exceeds this is dropped (slow consumer) */
  maxBufferedBytes: number;
  /** chat streams this instance holds at most (all users); above it: 503 server_busy */
  maxStreams: number;
  stats: { dropped: number };
  /** stream requests between the maxStreams check and their entry in `live` (admission is async) */
  opening: number;
  log: (...args: unknown[]) => void;
}

export interface LiveStream {
  info: ConnectionInfo;
  end(): void;
  /** closes the stream because the store could not register it again under the limit */
  evict(): void;
  /** bytes written but not yet taken by the socket */
  buffered(): number;
}

function userOf(req: IncomingMessage, url: URL): ReturnType<typeof parseId> {
  const fromParam = url.searchParams.get('userId');
  if (fromParam !== null) return parseId('userId', fromParam);
  const fromCookie = parseCookies(req.headers.cookie).get(USER_COOKIE);
  if (fromCookie === undefined) {
    return { ok: false, error: 'missing_user_id', message: `send the ${USER_COOKIE} cookie (set by the demo pages) or a userId parameter` };
  }
  return parseId('userId', fromCookie);
}

function identify(req: IncomingMessage, res: ServerResponse, url: URL): { userId: string; projectId: string } | undefined {
  const project = parseId('projectId', url.searchParams.get('projectId'));
  if (!project.ok) {
    sendError(res, 400, project.error, project.message);
    return undefined;
  }
  const user = userOf(req, url);
  if (!user.ok) {
    sendError(res, 400, user.error, user.message);
    return undefined;
  }
  return { userId: user.value, projectId: project.value };
}

/** HEAD /api/persistent-chat/stream: would a new stream be admitted now? Opens nothing. */
export async function headStream(ctx: ChatContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const who = identify(req, res, url);
  if (!who) return;
  await ctx.limits.assertAdmitting(); // the same 503 a GET would get while Redis recovers
  const count = await ctx.limits.count(who.userId, who.projectId);
  if (count >= ctx.limit) {
    const r = buildRefusal(ctx.limit, count, ctx.retryAfterSec);
    res.writeHead(429, { ...r.headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end();
    return;
  }
  res.writeHead(200, { ...limitHeaders(ctx.limit, count), 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }).end();
}

/** GET /api/persistent-chat/stream */
export async function openStream(ctx: ChatContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const who = identify(req, res, url);
  if (!who) return;
  const last = lastEventIdOf(req, url);
  if (!last.ok) return sendError(res, 400, last.error, last.message);
  let lastEventId = last.value;
  if (ctx.live.size + ctx.opening >= ctx.maxStreams) {
    res.setHeader('Retry-After', String(Math.max(1, ctx.retryAfterSec)));
    return sendError(res, 503, 'server_busy', `this instance holds its maximum of ${ctx.maxStreams} streams; try again later`);
  }
  const info: ConnectionInfo = {
    id: randomUUID(),
    userId: who.userId,
    projectId: who.projectId,
    openedAt: new Date().toISOString(),
    instanceId: ctx.instanceId,
    ...(lastEventId !== undefined ? { lastEventId: String(lastEventId) } : {}),
    ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
  };
  let decision: AdmitResult;
  ctx.opening += 1;
  try {
    decision = await ctx.limits.admit(info, ctx.limit);
  } finally {
    ctx.opening -= 1;
  }
  if (!decision.admitted) {
    const r = buildRefusal(ctx.limit, decision.count, ctx.retryAfterSec);
    ctx.log(`429 user=${who.userId} project=${who.projectId} count=${decision.count}`);
    sendJson(res, 429, r.body, r.headers);
    return;
  }
  if (req.destroyed || res.destroyed) {
    await ctx.limits.release(info);
    return;
  }

  let closed = false;
  let lastSent = lastEventId ?? 0;
  let replaying = true;
  const buffered: ChatMessage[] = [];
  // Slow consumers: a client that does not read leaves our writes in the socket's buffers and
  // then in res' own buffer. Past maxBufferedBytes the stream is dropped (its socket destroyed,
  // which releases its slot), so memory per stream stays bounded by about that plus one frame.
  const send = (chunk: string): void => {
    if (closed) return;
    if (res.writableLength > ctx.maxBufferedBytes) {
      ctx.stats.dropped += 1;
      ctx.log(`dropping slow consumer ${info.id}: ${res.writableLength} bytes unsent`);
      cleanup(); // releases the slot now; 'close' comes later
      res.destroy();
      return;
    }
    res.write(chunk);
  };
  const write = (m: ChatMessage): void => {
    if (closed || m.id <= lastSent) return;
    lastSent = m.id;
    send(sseEvent({ id: m.id, data: m.data }));
  };
  const unsubscribe = ctx.bus.subscribe(who.projectId, (m) => {
    if (replaying) buffered.push(m);
    else write(m);
  });
  const heartbeat = setInterval(() => send(sseComment(`heartbeat ${Date.now()}`)), ctx.heartbeatMs);

  const cleanup = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    ctx.live.delete(info.id);
    ctx.limits.release(info).catch((err: unknown) => ctx.log('release failed', err));
    ctx.log(`closed ${info.id} user=${who.userId} project=${who.projectId}`);
  };
  ctx.live.set(info.id, {
    info,
    end: () => {
      cleanup();
      res.end();
    },
    evict: () => {
      if (closed) return;
      ctx.log(`evicting ${info.id}: no room under the limit after the store recovered`);
      if (res.writableLength <= ctx.maxBufferedBytes) res.write(sseComment('closed: connection limit reached after the store recovered'));
      cleanup();
      res.end();
    },
    buffered: () => res.writableLength,
  });
  res.on('close', cleanup);

  res.writeHead(200, { ...SSE_HEADERS, ...limitHeaders(ctx.limit, decision.count), 'X-SSE-Instance': ctx.instanceId });
  res.write('retry: 1000\n');
  res.write(sseComment(`connected ${info.id}`));
  ctx.log(`open ${info.id} user=${who.userId} project=${who.projectId} last=${lastEventId ?? '-'} count=${decision.count}`);

  if (lastEventId !== undefined) {
    // An id ahead of the project's sequence was issued before a restart that lost the
    // sequence (memory mode, or Redis with no instance left to restore it). Resuming "after"
    // it would drop every new message as already seen: start from the current end instead.
    try {
      const current = await ctx.bus.lastId(who.projectId);
      if (lastEventId > current) {
        ctx.log(`Last-Event-ID ${lastEventId} is ahead of ${who.projectId}'s sequence (${current}): no replay`);
        lastEventId = current;
        lastSent = Math.min(lastSent, current);
      }
    } catch (err) {
      ctx.log('sequence check failed', err);
    }
  }
  if (lastEventId !== undefined) {
    try {
      for (const m of await ctx.bus.since(who.projectId, lastEventId)) write(m);
    } catch (err) {
      ctx.log('replay failed', err);
    }
  }
  replaying = false;
  for (const m of buffered.splice(0)) write(m);
}

/** Last-Event-ID from the header, else ?lastEventId= (EventSource cannot set it on a first request). */
export function lastEventIdOf(req: IncomingMessage, url: URL): ReturnType<typeof parseLastEventId> {
  const headerId = req.headers['last-event-id'];
  return parseLastEventId(typeof headerId === 'string' ? headerId : url.searchParams.get('lastEventId'));
}

/** POST /api/persistent-chat/messages */
export async function postMessage(ctx: ChatContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const who = identify(req, res, url);
  if (!who) return;
  let body: unknown;
  try {
    body = await readJson(req, 16 * 1024);
  } catch (err) {
    if (err instanceof BodyError) {
      // the rest of an oversized body is not worth reading: close the connection after the answer
      if (err.status === 413) res.setHeader('Connection', 'close');
      return sendError(res, err.status, err.code, err.message);
    }
    throw err;
  }
  const post = parseChatPost(body);
  if (!post.ok) return sendError(res, 400, post.error, post.message);
  const data = JSON.stringify({ ...post.value, userId: who.userId, sentAt: new Date().toISOString() });
  const msg = await ctx.bus.publish(who.projectId, data);
  sendJson(res, 201, { id: msg.id, projectId: who.projectId });
}

/** GET /api/debug/sse-connections/:userId/:projectId */
export async function debugConnections(ctx: ChatContext, res: ServerResponse, userRaw: string, projectRaw: string): Promise<void> {
  const user = parseId('userId', userRaw);
  if (!user.ok) return sendError(res, 400, user.error, user.message);
  const project = parseId('projectId', projectRaw);
  if (!project.ok) return sendError(res, 400, project.error, project.message);
  const connections = await ctx.limits.list(user.value, project.value);
  connections.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  sendJson(res, 200, { connections, count: connections.length, limit: ctx.limit });
}
