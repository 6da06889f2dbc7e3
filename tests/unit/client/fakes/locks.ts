/**
 * A fake of the browser's origin-wide Web Locks manager (exclusive locks only), with the
 * semantics the client relies on: FIFO queue, ifAvailable, steal, AbortSignal, and the
 * release of a closed tab's locks. Each tab gets a view with `forTab(id)`.
 */
import type { LockManagerLike, LockRequestOptions } from '../../../../src/client/election/types.js';

interface Request {
  tab: string;
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

export class FakeLocks {
  private readonly holders = new Map<string, Request>();
  private readonly queues = new Map<string, Request[]>();
  /** every grant, in order: [lock name, tab] */
  readonly grants: Array<[string, string]> = [];

  forTab(tab: string): LockManagerLike {
    return { request: (name, options, cb) => this.request(tab, name, options, cb) };
  }

  holder(name: string): string | undefined {
    return this.holders.get(name)?.tab;
  }

  queued(name: string): string[] {
    return (this.queues.get(name) ?? []).map((r) => r.tab);
  }

  /** The browser closed the tab: its held locks are released and its queued requests dropped. */
  closeTab(tab: string): void {
    for (const [name, q] of this.queues) this.queues.set(name, q.filter((r) => r.tab !== tab));
    for (const [name, r] of [...this.holders]) {
      if (r.tab === tab) {
        r.done = true;
        this.holders.delete(name);
        this.grantNext(name);
      }
    }
  }

  private request(tab: string, name: string, options: LockRequestOptions, cb: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req: Request = { tab, name, cb, resolve, reject, granted: false, done: false };
      if (options.signal?.aborted) return reject(abortError());
      if (options.steal) {
        const old = this.holders.get(name);
        if (old) {
          old.done = true;
          this.holders.delete(name);
          old.reject(abortError());
        }
        this.grant(req);
        return;
      }
      const busy = this.holders.has(name) || (this.queues.get(name)?.length ?? 0) > 0;
      if (options.ifAvailable && busy) {
        queueMicrotask(() => {
          Promise.resolve()
            .then(() => cb(null))
            .then(resolve, reject);
        });
        return;
      }
      options.signal?.addEventListener('abort', () => {
        if (req.granted) return;
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

  private grant(req: Request): void {
    req.granted = true;
    this.holders.set(req.name, req);
    this.grants.push([req.name, req.tab]);
    queueMicrotask(() => {
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

  private release(req: Request, settle: () => void): void {
    if (req.done) return; // stolen or tab closed: already settled/rejected
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
