import { systemClock, type Clock } from '../clock.js';
import type { ChannelLike, Election, ElectionCallbacks } from './types.js';

/**
 * Fallback election over BroadcastChannel only, for browsers without Web Locks.
 * - The leader sends a heartbeat every `heartbeatMs`.
 * - A follower that hears nothing for `leaderTimeoutMs` (generous: hidden tabs' timers are
 *   throttled) waits a random delay, announces a claim, and leads if no heartbeat or better
 *   claim arrives within `claimWindowMs`. The random delay and the cancel-on-heartbeat keep
 *   a leaderless group from all claiming at once.
 * - Duplicate leaders (timing cannot exclude them) are resolved deterministically: the one
 *   that has led longest wins (ties: the smaller tab id), the other steps down.
 */
export interface BroadcastElectionOptions {
  heartbeatMs?: number;
  leaderTimeoutMs?: number;
  claimWindowMs?: number;
  /** upper bound of the random wait before a claim */
  claimJitterMs?: number;
  random?: () => number;
  now?: () => number;
  clock?: Clock;
}

type ElectionMessage =
  | { t: 'hb'; from: string; since: number }
  | { t: 'claim'; from: string; at: number }
  | { t: 'hello'; from: string }
  | { t: 'bye'; from: string };

function isElectionMessage(v: unknown): v is ElectionMessage {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r['from'] === 'string' && (r['t'] === 'hb' || r['t'] === 'claim' || r['t'] === 'hello' || r['t'] === 'bye');
}

export class BroadcastElection implements Election {
  readonly kind = 'broadcast';
  private running = false;
  private leading = false;
  private since = 0;
  private lastLeaderSeen = -Infinity;
  private leaderId: string | undefined;
  private claimAt: number | undefined;
  private claimTimer: unknown;
  private tick: unknown;
  private readonly clock: Clock;
  private toldFollower = false;
  private readonly hb: number;
  private readonly timeout: number;
  private readonly window: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly listener = (ev: { data: unknown }): void => {
    if (isElectionMessage(ev.data)) this.onMessage(ev.data);
  };

  constructor(
    private readonly channel: ChannelLike,
    private readonly tabId: string,
    private readonly cb: ElectionCallbacks,
    opts: BroadcastElectionOptions = {},
  ) {
    this.hb = opts.heartbeatMs ?? 1000;
    this.timeout = opts.leaderTimeoutMs ?? 5000;
    this.window = opts.claimWindowMs ?? 300;
    this.jitter = opts.claimJitterMs ?? 1000;
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? systemClock;
    const clock = this.clock;
    this.now = opts.now ?? (() => clock.now());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.toldFollower = false;
    this.lastLeaderSeen = -Infinity;
    this.channel.addEventListener('message', this.listener);
    this.post({ t: 'hello', from: this.tabId });
    this.tick = this.clock.setInterval(() => this.onTick(), this.hb);
    // A leader answers hello at once; claim only if none did.
    this.scheduleClaim(this.window + this.random() * this.jitter);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.leading) this.post({ t: 'bye', from: this.tabId });
    this.leading = false;
    this.cancelClaim();
    if (this.tick !== undefined) this.clock.clearInterval(this.tick);
    this.tick = undefined;
    this.channel.removeEventListener('message', this.listener);
  }

  takeOver(): void {
    if (this.running && !this.leading && this.claimTimer === undefined && this.claimAt === undefined) {
      this.scheduleClaim(this.random() * this.jitter);
    }
  }

  private post(m: ElectionMessage): void {
    try {
      this.channel.postMessage(m);
    } catch {
      // channel closed: nothing to tell
    }
  }

  private onTick(): void {
    if (!this.running) return;
    if (this.leading) {
      this.post({ t: 'hb', from: this.tabId, since: this.since });
      return;
    }
    if (this.now() - this.lastLeaderSeen > this.timeout && this.claimTimer === undefined && this.claimAt === undefined) {
      this.scheduleClaim(this.random() * this.jitter);
    }
  }

  private scheduleClaim(delay: number): void {
    this.cancelClaim();
    this.claimTimer = this.clock.setTimeout(() => {
      this.claimTimer = undefined;
      if (!this.running || this.leading) return;
      if (this.now() - this.lastLeaderSeen <= this.timeout) return; // a leader showed up
      this.claimAt = this.now();
      this.post({ t: 'claim', from: this.tabId, at: this.claimAt });
      this.claimTimer = this.clock.setTimeout(() => {
        this.claimTimer = undefined;
        if (this.claimAt === undefined || !this.running) return;
        this.claimAt = undefined;
        this.becomeLeader();
      }, this.window);
    }, delay);
  }

  private cancelClaim(): void {
    if (this.claimTimer !== undefined) this.clock.clearTimeout(this.claimTimer);
    this.claimTimer = undefined;
    this.claimAt = undefined;
  }

  private becomeLeader(): void {
    this.leading = true;
    this.since = this.now();
    this.leaderId = this.tabId;
    this.post({ t: 'hb', from: this.tabId, since: this.since });
    this.cb.onElected();
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.cb.onDeposed(reason);
  }

  private follow(leaderId: string): void {
    this.leaderId = leaderId;
    this.lastLeaderSeen = this.now();
    this.cancelClaim();
    if (!this.toldFollower) {
      this.toldFollower = true;
      this.cb.onFollower();
    }
  }

  private onMessage(m: ElectionMessage): void {
    if (!this.running || m.from === this.tabId) return;
    switch (m.t) {
      case 'hello':
        if (this.leading) this.post({ t: 'hb', from: this.tabId, since: this.since });
        break;
      case 'hb':
        if (this.leading) {
          const theyWin = m.since < this.since || (m.since === this.since && m.from < this.tabId);
          if (!theyWin) {
            this.post({ t: 'hb', from: this.tabId, since: this.since });
            break;
          }
          this.stepDown('duplicate leader');
          this.toldFollower = false;
        }
        this.follow(m.from);
        break;
      case 'claim':
        if (this.leading) {
          this.post({ t: 'hb', from: this.tabId, since: this.since });
        } else if (this.claimAt !== undefined) {
          // Two claims at once: the earlier (then smaller id) goes on, the other backs off.
          const theyWin = m.at < this.claimAt || (m.at === this.claimAt && m.from < this.tabId);
          if (theyWin) {
            this.cancelClaim();
            this.lastLeaderSeen = this.now();
          }
        } else {
          // Someone is claiming: give them a window before we would try.
          this.cancelClaim();
          this.lastLeaderSeen = this.now();
        }
        break;
      case 'bye':
        if (m.from === this.leaderId && !this.leading) {
          this.leaderId = undefined;
          this.lastLeaderSeen = -Infinity;
          this.toldFollower = false;
          this.scheduleClaim(this.random() * this.jitter);
        }
        break;
    }
  }
}
