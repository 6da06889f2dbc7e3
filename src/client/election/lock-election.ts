import { systemClock, type Clock } from '../clock.js';
import type { Election, ElectionCallbacks, LockManagerLike } from './types.js';

interface Ticket {
  gen: number;
  /** its request was rejected: a callback that still comes must not take the lead */
  dead?: boolean;
}

/**
 * Leader election with Web Locks: the holder of `sse-<projectId>` leads; other tabs wait in
 * the lock's FIFO queue (never timed out: waiting is a follower's normal state), so when the
 * leader goes exactly one tab is granted the lock (no herd).
 * A follower watchdog may steal the lock from a frozen leader (`steal: true`), guarded by a
 * second lock taken with `ifAvailable` so that only one follower tries at a time.
 */
export class LockElection implements Election {
  readonly kind = 'locks';
  private running = false;
  private generation = 0;
  /** the request whose lock we hold */
  private holder: Ticket | undefined;
  private abort: AbortController | undefined;
  /** our request waiting in the lock's queue */
  private queued: Ticket | undefined;
  private releaseHeld: (() => void) | undefined;

  constructor(
    private readonly locks: LockManagerLike,
    private readonly name: string,
    private readonly cb: ElectionCallbacks,
    /** how long the takeover guard stays held after a steal, so other followers that
     *  judged the old leader dead at the same moment do not steal again from the new one */
    private readonly takeoverGraceMs = 3000,
    private readonly clock: Clock = systemClock,
  ) {}

  get isLeader(): boolean {
    return this.holder !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const t: Ticket = { gen: ++this.generation };
    // Learn the role at once: take the lock if free, else say "follower" and queue for it.
    const follow = (): void => {
      if (t.gen !== this.generation || !this.running || this.holder) return;
      this.cb.onFollower();
      this.queue(t.gen);
    };
    this.locks.request(this.name, { ifAvailable: true }, (lock) => (lock ? this.hold(t) : undefined)).then(follow, (err: unknown) => {
      if (this.holder === t) this.rejected(t, err);
      else {
        // granted, then stolen before our callback ran (we were stalled): follow and queue
        t.dead = true;
        follow();
      }
    });
  }

  private queue(gen: number): void {
    const abort = new AbortController();
    this.abort = abort;
    const t: Ticket = { gen };
    this.queued = t;
    this.locks.request(this.name, { signal: abort.signal }, () => this.hold(t)).then(
      () => undefined,
      (err: unknown) => this.rejected(t, err),
    );
  }

  /** Runs inside the lock callback: the lock is held until the returned promise settles. */
  private hold(t: Ticket): Promise<void> {
    if (this.queued === t) this.queued = undefined;
    if (t.dead || t.gen !== this.generation || !this.running || this.holder) return Promise.resolve();
    this.holder = t;
    const released = new Promise<void>((resolve) => {
      this.releaseHeld = resolve;
    });
    this.cb.onElected();
    return released;
  }

  private rejected(t: Ticket, err: unknown): void {
    t.dead = true;
    if (this.holder !== t) {
      // Our place in the queue is gone without our asking: granted, then stolen before our
      // callback ran (we were stalled meanwhile). Queue again, or this tab would never lead.
      if (this.queued === t) {
        this.queued = undefined;
        if (this.running && !this.holder && t.gen === this.generation) this.queue(this.generation);
      }
      return; // otherwise: aborted by stop()/takeOver(), or an old generation
    }
    // The lock we held was stolen (its request rejects with AbortError): step down, queue again.
    this.holder = undefined;
    this.releaseHeld?.();
    this.releaseHeld = undefined;
    this.cb.onDeposed(err instanceof Error && err.name === 'AbortError' ? 'lock stolen' : 'lock lost');
    if (this.running) this.queue(this.generation);
  }

  /** takeovers in a row that found the guard held by another tab */
  private guardMisses = 0;

  takeOver(): void {
    if (!this.running || this.holder) return;
    const gen = this.generation;
    // The guard is normally free again a grace period after a steal. Still busy at our next
    // takeover (a whole watchdog cycle later, longer than the grace), its holder is stalled
    // itself (it stole, then froze before its grace timer fired): take the guard from it, or
    // the followers would be stranded for as long as it stays stalled.
    const stealGuard = this.guardMisses >= 1;
    this.locks
      .request(`${this.name}:takeover`, stealGuard ? { steal: true } : { ifAvailable: true }, (guard) => {
        if (!guard) {
          this.guardMisses += 1;
          return undefined;
        }
        this.guardMisses = 0;
        if (gen !== this.generation || !this.running || this.holder) return undefined;
        // Leave the normal queue, then steal; the frozen holder's request rejects when it wakes.
        this.queued = undefined;
        this.abort?.abort();
        const t: Ticket = { gen };
        return new Promise<void>((done) => {
          const granted = (): void => {
            this.clock.setTimeout(done, this.takeoverGraceMs);
          };
          this.locks
            .request(this.name, { steal: true }, () => {
              granted();
              return this.hold(t);
            })
            .then(
              () => undefined,
              (err: unknown) => {
                granted();
                if (this.holder === t) this.rejected(t, err);
                else if (this.running && !this.holder && gen === this.generation) this.queue(gen);
              },
            );
        });
      })
      .then(
        () => undefined,
        () => undefined, // our guard was taken from us (we stalled in our grace period): nothing to undo
      );
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation += 1;
    this.queued = undefined;
    this.abort?.abort();
    this.abort = undefined;
    this.holder = undefined;
    this.releaseHeld?.();
    this.releaseHeld = undefined;
  }
}
