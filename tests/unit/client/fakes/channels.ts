/**
 * A fake BroadcastChannel hub: messages are structured-cloned and delivered as tasks
 * (setTimeout 0, so fake timers drive them) to every other open channel of the same name.
 * A tab can be frozen: its channels neither send nor receive until it is thawed.
 */
import type { ChannelCtor, ChannelLike } from '../../../../src/client/election/types.js';

type Listener = (ev: { data: unknown }) => void;

interface Endpoint {
  tab: string;
  name: string;
  listeners: Set<Listener>;
  closed: boolean;
  /** messages in arrival order; one task delivers one message, like the browser */
  inbox: unknown[];
  scheduled: boolean;
}

export class ChannelHub {
  private readonly endpoints = new Set<Endpoint>();
  private readonly frozen = new Set<string>();
  /** every message posted, with its sender tab */
  readonly log: Array<{ tab: string; name: string; data: unknown }> = [];

  ctorFor(tab: string): ChannelCtor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below needs the hub
    const hub = this;
    return class FakeBroadcastChannel implements ChannelLike {
      private readonly ep: Endpoint;
      constructor(name: string) {
        this.ep = { tab, name, listeners: new Set(), closed: false, inbox: [], scheduled: false };
        hub.endpoints.add(this.ep);
      }
      postMessage(message: unknown): void {
        if (this.ep.closed) throw new Error('InvalidStateError: channel closed');
        hub.post(this.ep, structuredClone(message));
      }
      close(): void {
        this.ep.closed = true;
        hub.endpoints.delete(this.ep);
      }
      addEventListener(_type: 'message', l: Listener): void {
        this.ep.listeners.add(l);
      }
      removeEventListener(_type: 'message', l: Listener): void {
        this.ep.listeners.delete(l);
      }
    };
  }

  freeze(tab: string): void {
    this.frozen.add(tab);
    for (const ep of this.endpoints) if (ep.tab === tab) ep.inbox.length = 0;
  }

  thaw(tab: string): void {
    this.frozen.delete(tab);
  }

  /** The tab is gone: its channels stop existing. */
  closeTab(tab: string): void {
    for (const ep of [...this.endpoints]) if (ep.tab === tab) this.endpoints.delete(ep);
  }

  private post(from: Endpoint, data: unknown): void {
    if (this.frozen.has(from.tab) || !this.endpoints.has(from)) return;
    this.log.push({ tab: from.tab, name: from.name, data });
    for (const ep of this.endpoints) {
      if (ep === from || ep.name !== from.name || ep.closed || this.frozen.has(ep.tab)) continue;
      ep.inbox.push(data);
      this.schedule(ep);
    }
  }

  // A per-receiver queue keeps each sender's messages in order, as BroadcastChannel does
  // (fake timers may reorder separate zero-delay timers created inside and outside a timer).
  private schedule(ep: Endpoint): void {
    if (ep.scheduled) return;
    ep.scheduled = true;
    setTimeout(() => {
      ep.scheduled = false;
      const data = ep.inbox.shift();
      if (ep.closed || !this.endpoints.has(ep)) return;
      if (this.frozen.has(ep.tab)) {
        ep.inbox.length = 0; // a frozen tab misses what was said meanwhile
        return;
      }
      for (const l of [...ep.listeners]) l({ data: structuredClone(data) });
      if (ep.inbox.length) this.schedule(ep);
    }, 0);
  }
}
