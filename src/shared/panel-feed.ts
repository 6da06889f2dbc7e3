/**
 * How the event log reaches a panel port (`panel:<tabId>`) when the panel
 * opens: newest first. The worker's store posts its whole log (in pages,
 * oldest first, the first one marked `reset`); sending all of it before the
 * panel can show anything cost over a second with 100,000 entries (the
 * panel parses every page before its first render). So the worker's side of
 * the port (`createLogFeed`, used by `src/background/panel-ports.ts`) turns
 * that run of pages into:
 *
 * 1. `feed:head` — the newest `head` entries and how many older ones there
 *    are (`older`). The panel shows them at once and says that older events
 *    are still loading.
 * 2. `feed:older` — the next `chunk` older entries (oldest first within the
 *    chunk), each one sent when the panel asks with `feed:more`, so the
 *    panel is never handed more than it can apply in one frame and the port
 *    is never flooded. `remaining` counts what is still older.
 *
 * Deltas (`panel:log` without `reset`) and snapshots go through as they
 * come: new entries always belong after the newest, whatever is still
 * loading. A `load` number ties chunks to their head; a newer head (after a
 * `capture:clear`) makes the older load moot.
 */
import { isFeedRequest, type FeedMessage, type LogEntry, type PanelMessage } from './protocol';

export type { FeedMessage, FeedRequest } from './protocol';

export const FEED_HEAD = 1000;
export const FEED_CHUNK = 4000;

export interface LogFeed {
  /** What the store posts to this panel. */
  post(message: PanelMessage): void;
  /** What the panel posts back (anything else is ignored). */
  receive(message: unknown): void;
}

let loads = 0;

/**
 * The worker's side of one panel port. `send` posts to the port. A run of
 * log pages that starts with a `reset` is collected until the current task
 * ends (the store posts a run synchronously), then sent newest first.
 */
export function createLogFeed(send: (message: FeedMessage) => void, options: { head?: number; chunk?: number; defer?: (fn: () => void) => void } = {}): LogFeed {
  const head = Math.max(1, options.head ?? FEED_HEAD);
  const chunk = Math.max(1, options.chunk ?? FEED_CHUNK);
  const defer = options.defer ?? queueMicrotask;
  let collecting: LogEntry[] | null = null;
  let older: LogEntry[] = [];
  let olderEnd = 0;
  let load = 0;

  const finish = () => {
    const all = collecting;
    collecting = null;
    if (all === null) return;
    load = ++loads;
    const split = Math.max(0, all.length - head);
    older = split > 0 ? all : [];
    olderEnd = split;
    send({ kind: 'feed:head', load, entries: split > 0 ? all.slice(split) : all, older: split });
  };

  return {
    post(message) {
      if (message.kind === 'panel:log') {
        if (message.reset) {
          finish();
          collecting = message.entries.slice();
          defer(finish);
          return;
        }
        if (collecting !== null) {
          for (const e of message.entries) collecting.push(e);
          return;
        }
      }
      send(message);
    },
    receive(message) {
      if (!isFeedRequest(message) || message.load !== load || olderEnd === 0) return;
      const from = Math.max(0, olderEnd - chunk);
      const entries = older.slice(from, olderEnd);
      olderEnd = from;
      if (from === 0) older = [];
      send({ kind: 'feed:older', load, entries, remaining: from });
    },
  };
}
