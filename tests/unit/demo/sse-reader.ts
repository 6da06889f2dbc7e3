/** Reads a text/event-stream response in tests: events and comments, until told to stop. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseReader {
  res: Response;
  events: EventSourceMessage[];
  comments: string[];
  /** the response body ended (server closed it, or close() was called) */
  readonly ended: boolean;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  let ended = !(res.ok && res.body);
  if (res.ok && res.body) {
    const parser = createParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c) });
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(dec.decode(value, { stream: true }));
        }
      } catch {
        // aborted
      }
      ended = true;
    })();
  }
  return {
    res,
    events,
    comments,
    get ended() {
      return ended;
    },
    waitFor: async (pred, timeoutMs = 5000) => {
      const end = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > end) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => ctrl.abort(),
  };
}

export async function until(pred: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
