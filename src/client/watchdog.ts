/**
 * Follower watchdog: a leader that holds the lock but went silent (frozen, crashed renderer,
 * or a hidden tab whose timers are throttled) is probed before anything drastic happens.
 * Silence for `timeoutMs` → `probe()` (a ping the leader answers from its message handler,
 * which hidden-tab timer throttling does not delay); no sign of life within `probeMs` →
 * `onDead()`. Any sign of life (heartbeat, relayed message, pong) resets it.
 */
import { systemClock, type Clock } from './clock.js';

export interface WatchdogOptions {
  timeoutMs: number;
  probeMs: number;
  now?: () => number;
  clock?: Clock;
}

export class LeaderWatchdog {
  private lastSeen: number;
  private probeSentAt: number | undefined;
  private timer: unknown;
  private readonly now: () => number;
  private readonly clock: Clock;

  constructor(
    private readonly opts: WatchdogOptions,
    private readonly cb: { probe(): void; onDead(): void },
  ) {
    this.clock = opts.clock ?? systemClock;
    const clock = this.clock;
    this.now = opts.now ?? (() => clock.now());
    this.lastSeen = this.now();
  }

  /** The leader showed a sign of life. */
  seen(): void {
    this.lastSeen = this.now();
    this.probeSentAt = undefined;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.seen();
    const period = Math.max(50, Math.min(this.opts.timeoutMs, this.opts.probeMs) / 2);
    this.timer = this.clock.setInterval(() => this.check(), period);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.probeSentAt = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private check(): void {
    const now = this.now();
    if (this.probeSentAt !== undefined) {
      if (now - this.probeSentAt >= this.opts.probeMs) {
        this.probeSentAt = undefined;
        this.lastSeen = now; // give the takeover time before probing again
        this.cb.onDead();
      }
      return;
    }
    if (now - this.lastSeen >= this.opts.timeoutMs) {
      this.probeSentAt = now;
      this.cb.probe();
    }
  }
}
