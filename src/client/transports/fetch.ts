import { createParser } from 'eventsource-parser';
import { systemClock } from '../clock.js';
import { parseCountHeader, parseRetryAfter, retryAfterFromBody } from '../retry-after.js';
import type { ConnectOptions, FetchFn, SSEConnectionResult, StreamHandle, StreamHandlers, StreamMessage } from '../types.js';
import { streamUrl } from '../url.js';

/** Reads an SSE body; messages before start() are buffered. The stream does not reconnect itself. */
function fetchHandle(body: ReadableStream<Uint8Array>, ctrl: AbortController, eventTypes: readonly string[]): StreamHandle {
  let handlers: StreamHandlers | undefined;
  const pending: StreamMessage[] = [];
  let open = true;
  let endReason: string | undefined;
  const accept = new Set(['message', ...eventTypes]);
  const parser = createParser({
    onEvent(ev) {
      const event = ev.event ?? 'message';
      if (!accept.has(event)) return;
      const msg: StreamMessage = { event, data: ev.data, ...(ev.id !== undefined && ev.id !== '' ? { id: ev.id } : {}) };
      if (handlers) handlers.onMessage(msg);
      else pending.push(msg);
    },
  });
  const ended = (reason: string): void => {
    if (!open) return;
    open = false;
    endReason = reason;
    handlers?.onError({ fatal: true, reason });
  };
  void (async () => {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      ended('stream ended by the server');
    } catch (err) {
      ended(ctrl.signal.aborted ? 'closed' : `stream failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  return {
    transport: 'fetch',
    start(h) {
      handlers = h;
      for (const m of pending.splice(0)) h.onMessage(m);
      if (!open && endReason !== undefined) h.onError({ fatal: true, reason: endReason });
    },
    close() {
      handlers = undefined;
      open = false;
      ctrl.abort();
    },
    isOpen: () => open,
  };
}

/**
 * connectToSSE over fetch: unlike EventSource it sees the refusal itself, so a 429's status,
 * Retry-After, X-SSE-* headers and JSON body are read from the very response that failed,
 * and Last-Event-ID travels as a real header.
 */
export async function connectWithFetch(projectId: string, options: ConnectOptions = {}): Promise<SSEConnectionResult> {
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const url = streamUrl(options.baseUrl ?? '', projectId, options.userId !== undefined ? { userId: options.userId } : {});
  const ctrl = new AbortController();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timedOut = false;
  if (options.signal?.aborted) return { mode: 'failed', reason: 'aborted' };
  // Abandoned (the tab stepped down, froze or left): abort the request, or close the stream.
  options.signal?.addEventListener('abort', () => ctrl.abort(), { once: true });
  const clock = options.clock ?? systemClock;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeoutMs);
  let res: Response;
  try {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
    res = await fetchFn(url, {
      headers,
      credentials: options.withCredentials ? 'include' : 'same-origin',
      cache: 'no-store',
      signal: ctrl.signal,
    });
  } catch (err) {
    clock.clearTimeout(timer);
    return {
      mode: 'failed',
      reason: timedOut ? `Timed out after ${timeoutMs} ms waiting for the stream to open` : err instanceof Error ? err.message : 'fetch failed',
    };
  }
  clock.clearTimeout(timer);
  const limit = parseCountHeader(res.headers.get('X-SSE-Connection-Limit'));
  const current = parseCountHeader(res.headers.get('X-SSE-Current-Connections'));
  const counts = { ...(limit !== undefined ? { limit } : {}), ...(current !== undefined ? { current } : {}) };
  const ctype = res.headers.get('Content-Type') ?? '';
  if (res.ok && res.body && /^text\/event-stream/i.test(ctype)) {
    return { mode: 'leader', stream: fetchHandle(res.body, ctrl, options.eventTypes ?? []), status: res.status, ...counts };
  }
  let body: unknown;
  try {
    body = /json/i.test(ctype) ? ((await res.json()) as unknown) : await res.text();
  } catch {
    body = undefined;
  }
  ctrl.abort();
  const headerRetry = parseRetryAfter(res.headers.get('Retry-After'), clock.now());
  if (res.status === 429) {
    options.onRetryAfter?.(headerRetry ?? retryAfterFromBody(body) ?? options.defaultRetryAfterMs ?? 10_000);
    const bodyMessage =
      typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['message'] === 'string'
        ? String((body as Record<string, unknown>)['message'])
        : 'Connection limit exceeded';
    return {
      mode: 'follower',
      reason: bodyMessage,
      status: 429,
      retryAfterMs: headerRetry ?? retryAfterFromBody(body) ?? options.defaultRetryAfterMs ?? 10_000,
      body,
      ...counts,
    };
  }
  return {
    mode: 'failed',
    reason: res.ok ? `unexpected Content-Type ${JSON.stringify(ctype)}` : `SSE connection failed (HTTP ${res.status})`,
    status: res.status,
    body,
    ...(headerRetry !== undefined ? { retryAfterMs: headerRetry } : {}),
    ...counts,
  };
}
