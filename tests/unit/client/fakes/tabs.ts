/** A set of simulated tabs, each a PersistentChatConnection wired to shared fakes. */
import { PersistentChatConnection, type PersistentChatOptions } from '../../../../src/client/index.js';
import type { MessageMeta } from '../../../../src/client/types.js';
import { ChannelHub } from './channels.js';
import { FakeEventSource } from './event-source.js';
import { FakeLocks } from './locks.js';

export interface Tab {
  id: string;
  conn: PersistentChatConnection;
  received: Array<{ id: string | undefined; data: unknown; via: MessageMeta['via'] }>;
  win: EventTarget;
  roles: string[];
}

export type FetchImpl = (url: string, init?: RequestInit) => Promise<Response>;

export const refuse429: FetchImpl = () =>
  Promise.resolve(
    new Response(null, {
      status: 429,
      headers: { 'Retry-After': '3', 'X-SSE-Connection-Limit': '5', 'X-SSE-Current-Connections': '5' },
    }),
  );

export class World {
  readonly locks = new FakeLocks();
  readonly hub = new ChannelHub();
  readonly tabs: Tab[] = [];
  fetch: FetchImpl = refuse429;

  constructor(private readonly base: PersistentChatOptions = {}) {
    FakeEventSource.reset();
  }

  open(id: string, extra: PersistentChatOptions = {}, withLocks = true): Tab {
    const win = new EventTarget();
    const roles: string[] = [];
    (win as unknown as { __SSE_DEVTOOLS_HOOK__: unknown }).__SSE_DEVTOOLS_HOOK__ = {
      declareRole: (i: { role: string }) => roles.push(i.role),
    };
    const tab: Tab = { id, received: [], win, roles, conn: undefined as unknown as PersistentChatConnection };
    tab.conn = new PersistentChatConnection(
      'p1',
      (data, meta) => tab.received.push({ id: meta.id, data, via: meta.via }),
      {
        tabId: id,
        locks: withLocks ? this.locks.forTab(id) : null,
        BroadcastChannel: this.hub.ctorFor(id),
        EventSource: FakeEventSource as unknown as typeof EventSource,
        fetch: (u, i) => this.fetch(u, i),
        window: win,
        document: null,
        banner: false,
        random: () => 0.5,
        ...this.base,
        ...extra,
      },
    );
    this.tabs.push(tab);
    return tab;
  }

  /** The browser closed the tab without any unload handler running. */
  crash(tab: Tab): void {
    const es = tab.conn.currentEventSource as unknown as FakeEventSource | undefined;
    this.hub.closeTab(tab.id);
    this.locks.closeTab(tab.id);
    es?.close();
    tab.conn.disconnect(); // stops its timers; nothing it says reaches anyone any more
  }

  /** The stream of the current leader, opened by the (fake) server. */
  openLeaderStream(): FakeEventSource {
    const live = FakeEventSource.live();
    const es = live[live.length - 1];
    if (!es) throw new Error('no EventSource to open');
    es.open();
    return es;
  }

  leaders(): Tab[] {
    return this.tabs.filter((t) => t.conn.getConnectionInfo().mode === 'leader');
  }
}
