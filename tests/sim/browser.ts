/**
 * Simulated browser services shared by the tabs of one origin: Web Locks and BroadcastChannel.
 * Both live "in the browser process": what they tell a tab arrives as a task of that tab, after
 * an IPC delay, so a stalled or frozen tab hears nothing until it runs again.
 */
import type { ChannelCtor, ChannelLike, LockManagerLike, LockRequestOptions } from '../../src/client/election/types.js';
import type { Kernel, SimTabCore } from './kernel.js';

interface LockReq {
  tab: SimTabCore;
  name: string;
  cb: (lock: unknown) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  granted: boolean;
  done: boolean;
}

function abortError(): Error {
  const e = new Error('The request was aborted.');
  e.name = 'AbortError';
  return e;
}

/** Exclusive Web Locks with FIFO queues, ifAvailable, steal and AbortSignal (per the spec). */
export class SimLocks {
  private readonly holders = new Map<string, LockReq>();
  private readonly queues = new Map<string, LockReq[]>();
  steals = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly ipc: () => number,
    private readonly log: (msg: string) => void,
  ) {}

  forTab(tab: SimTabCore): LockManagerLike {
    return { request: (name, options, cb) => this.request(tab, name, options, cb) };
  }

  holder(name: string): string | undefined {
    return this.holders.get(name)?.tab.id;
  }

  /** The tab is gone: its locks are released, its queued requests dropped. */
  closeTab(tab: SimTabCore): void {
    for (const [name, q] of this.queues) this.queues.set(name, q.filter((r) => r.tab !== tab));
    for (const [name, r] of [...this.holders]) {
      if (r.tab === tab) {
        r.done = true;
        this.holders.delete(name);
        this.grantNext(name);
      }
    }
  }

  private request(tab: SimTabCore, name: string, options: LockRequestOptions, cb: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req: LockReq = { tab, name, cb, resolve, reject, granted: false, done: false };
      if (options.signal?.aborted) {
        reject(abortError());
        return;
      }
      if (options.steal) {
        const old = this.holders.get(name);
        if (old) {
          old.done = true;
          this.holders.delete(name);
          this.steals += 1;
          this.log(`lock ${name} stolen from ${old.tab.id} by ${tab.id}`);
          old.tab.post(this.ipc(), () => old.reject(abortError()));
        }
        this.grant(req);
        return;
      }
      const busy = this.holders.has(name) || (this.queues.get(name)?.length ?? 0) > 0;
      if (options.ifAvailable && busy) {
        tab.post(this.ipc(), () => {
          Promise.resolve()
            .then(() => cb(null))
            .then(resolve, reject);
        });
        return;
      }
      options.signal?.addEventListener('abort', () => {
        if (req.granted || req.done) return;
        req.done = true;
        const q = this.queues.get(name) ?? [];
        this.queues.set(
          name,
          q.filter((r) => r !== req),
        );
        reject(abortError());
      });
      if (!busy) this.grant(req);
      else this.queues.set(name, [...(this.queues.get(name) ?? []), req]);
    });
  }

  private grant(req: LockReq): void {
    req.granted = true;
    this.holders.set(req.name, req);
    this.log(`lock ${req.name} granted to ${req.tab.id}`);
    req.tab.post(this.ipc(), () => {
      if (req.done) return; // stolen before the grant reached the tab
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(req.cb({ name: req.name, mode: 'exclusive' }));
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (v) => this.release(req, () => req.resolve(v)),
        (e: unknown) => this.release(req, () => req.reject(e)),
      );
    });
  }

  private release(req: LockReq, settle: () => void): void {
    if (req.done) return; // stolen or tab gone: already settled
    req.done = true;
    if (this.holders.get(req.name) === req) {
      this.holders.delete(req.name);
      this.grantNext(req.name);
    }
    settle();
  }

  private grantNext(name: string): void {
    if (this.holders.has(name)) return;
    const q = this.queues.get(name) ?? [];
    const next = q.shift();
    this.queues.set(name, q);
    if (next) this.grant(next);
  }
}

type Listener = (ev: { data: unknown }) => void;

interface Endpoint {
  tab: SimTabCore;
  name: string;
  listeners: Set<Listener>;
  closed: boolean;
}

/** Hooks the invariant checker uses to follow what was said on the channels. */
export interface ChannelObserver {
  /** returns metadata carried beside the message (never seen by the client) */
  onPost(from: SimTabCore, name: string, data: unknown): unknown;
  onDeliver(to: SimTabCore, name: string, data: unknown, meta: unknown): void;
}

/** BroadcastChannel: structured clone, delivery as tasks, FIFO per sender and receiver. */
export class SimChannels {
  private readonly endpoints = new Set<Endpoint>();
  private readonly lastDue = new Map<string, number>();

  constructor(
    private readonly kernel: Kernel,
    private readonly latency: () => number,
    private readonly observer: ChannelObserver,
  ) {}

  ctorFor(tab: SimTabCore): ChannelCtor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below needs the hub
    const hub = this;
    return class SimBroadcastChannel implements ChannelLike {
      private readonly ep: Endpoint;
      constructor(name: string) {
        this.ep = { tab, name, listeners: new Set(), closed: false };
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

  closeTab(tab: SimTabCore): void {
    for (const ep of [...this.endpoints]) if (ep.tab === tab) this.endpoints.delete(ep);
  }

  private post(from: Endpoint, data: unknown): void {
    const meta = this.observer.onPost(from.tab, from.name, data);
    for (const ep of this.endpoints) {
      if (ep === from || ep.name !== from.name || ep.closed) continue;
      const key = `${from.tab.id}>${ep.tab.id}:${from.name}`;
      const at = Math.max(this.kernel.now + this.latency(), this.lastDue.get(key) ?? 0);
      this.lastDue.set(key, at);
      ep.tab.post(at - this.kernel.now, () => {
        if (ep.closed || !this.endpoints.has(ep)) return;
        this.observer.onDeliver(ep.tab, ep.name, data, meta);
        for (const l of [...ep.listeners]) l({ data: structuredClone(data) });
      });
    }
  }
}
