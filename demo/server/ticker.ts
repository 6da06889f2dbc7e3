import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './http-util.js';
import { SSE_HEADERS, sseEvent } from './sse-writer.js';
import { parseEventName, parseIntParam, parseLastEventId } from './validate.js';

/**
 * GET /api/ticker?intervalMs=100&count=0&event=&size=
 * An unlimited stream for tests and benchmarks: message n has id n and data
 * {"n":n,"ts":<ms>} (plus a "pad" field to reach about `size` bytes). count 0 = forever.
 * A reconnect with Last-Event-ID resumes after it; once `count` messages were sent the
 * server answers 204, which tells an EventSource to stop reconnecting.
 */
export function ticker(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  onClose: (end: () => void) => () => void,
  maxBufferedBytes = Infinity,
  onDrop: () => void = () => undefined,
): void {
  const interval = parseIntParam('intervalMs', url.searchParams.get('intervalMs'), 100, 1, 3_600_000);
  const count = parseIntParam('count', url.searchParams.get('count'), 0, 0, 100_000_000);
  const size = parseIntParam('size', url.searchParams.get('size'), 0, 0, 1_000_000);
  const event = parseEventName(url.searchParams.get('event'));
  for (const p of [interval, count, size, event]) {
    if (!p.ok) return sendError(res, 400, p.error, p.message);
  }
  if (!interval.ok || !count.ok || !size.ok || !event.ok) return;
  const headerId = req.headers['last-event-id'];
  const last = parseLastEventId(typeof headerId === 'string' ? headerId : url.searchParams.get('lastEventId'));
  if (!last.ok) return sendError(res, 400, last.error, last.message);
  let n = last.value ?? 0;
  if (count.value > 0 && n >= count.value) {
    res.writeHead(204).end();
    return;
  }
  res.writeHead(200, SSE_HEADERS);
  res.write(': ticker\n\n');
  const send = (): void => {
    // a client that does not read: drop it once its unsent output passes the bound
    if (res.writableLength > maxBufferedBytes) {
      onDrop();
      stop(false);
      res.destroy();
      return;
    }
    n += 1;
    const base = { n, ts: Date.now() };
    const baseLen = JSON.stringify(base).length;
    const data = size.value > baseLen + 10 ? JSON.stringify({ ...base, pad: 'x'.repeat(size.value - baseLen - 9) }) : JSON.stringify(base);
    res.write(sseEvent({ id: n, data, ...(event.value !== undefined ? { event: event.value } : {}) }));
    if (count.value > 0 && n >= count.value) stop(true);
  };
  const timer = setInterval(send, interval.value);
  let stopped = false;
  const stop = (endResponse: boolean): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unregister();
    if (endResponse) res.end();
  };
  const unregister = onClose(() => stop(true));
  res.on('close', () => stop(false));
}
