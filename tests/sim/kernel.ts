/**
 * The simulation kernel: one virtual clock, one task queue, and tabs whose tasks run one at a
 * time with their microtasks drained in between, as a browser's event loop does.
 *
 * - Every callback the client can receive (timer, channel message, lock grant, network event)
 *   is a task owned by a tab. A tab that is stalled (hung renderer, debugger, a leader frozen
 *   without any lifecycle event) or frozen (Page Lifecycle freeze) keeps its tasks until it
 *   runs again; a gone tab's tasks are dropped.
 * - Timers of a hidden tab are throttled like Chrome's: aligned to 1 s, and to 60 s once the
 *   tab has been hidden for 5 minutes (intensive throttling, applied to every timer here, which
 *   is harsher than Chrome, which spares short chains).
 * - Microtasks are drained after each task with one setImmediate turn: nothing else in the
 *   process is asynchronous during a run, so the order is a function of the seed alone.
 */

export interface Task {
  at: number;
  seq: number;
  tab: SimTabCore | undefined;
  fn: () => void;
  /** timer tasks: skip unless the timer is still at this generation */
  timer?: TimerRec;
  gen?: number;
}

interface TimerRec {
  id: number;
  due: number;
  interval: number | undefined;
  fn: () => void;
  cancelled: boolean;
  gen: number;
}

export type TabState = 'running' | 'stalled' | 'frozen' | 'gone';

export class SimTabCore {
  state: TabState = 'running';
  hidden = false;
  hiddenSince = 0;
  readonly deferred: Task[] = [];
  private readonly timers = new Map<number, TimerRec>();
  private nextTimer = 1;

  constructor(
    readonly kernel: Kernel,
    readonly id: string,
  ) {}

  get running(): boolean {
    return this.state === 'running';
  }

  /** Queue a task for this tab, `delay` ms from now. */
  post(delay: number, fn: () => void): void {
    this.kernel.push({ at: this.kernel.now + Math.max(0, delay), seq: 0, tab: this, fn });
  }

  readonly clock = {
    now: (): number => this.kernel.now,
    setTimeout: (fn: () => void, ms: number): unknown => this.addTimer(fn, ms, undefined),
    clearTimeout: (h: unknown): void => this.clearTimer(h),
    setInterval: (fn: () => void, ms: number): unknown => this.addTimer(fn, ms, Math.max(1, ms)),
    clearInterval: (h: unknown): void => this.clearTimer(h),
  };

  private addTimer(fn: () => void, ms: number, interval: number | undefined): number {
    const rec: TimerRec = { id: this.nextTimer++, due: this.kernel.now + Math.max(0, ms || 0), interval, fn, cancelled: false, gen: 0 };
    this.timers.set(rec.id, rec);
    this.pushTimer(rec, rec.due);
    return rec.id;
  }

  private clearTimer(h: unknown): void {
    if (typeof h !== 'number') return;
    const rec = this.timers.get(h);
    if (!rec) return;
    rec.cancelled = true;
    this.timers.delete(h);
  }

  private pushTimer(rec: TimerRec, at: number): void {
    rec.gen += 1;
    this.kernel.push({ at, seq: 0, tab: this, fn: () => this.fire(rec), timer: rec, gen: rec.gen });
  }

  /** Alignment of a hidden tab's timers, 0 when not throttled. */
  private throttle(): number {
    if (!this.hidden) return 0;
    return this.kernel.now - this.hiddenSince >= 5 * 60_000 ? 60_000 : 1000;
  }

  /** Runs (or re-aligns) a due timer; called as the tab's task. */
  private fire(rec: TimerRec): void {
    if (rec.cancelled) return;
    const align = this.throttle();
    const now = this.kernel.now;
    if (align > 0 && now % align !== 0) {
      this.pushTimer(rec, Math.ceil(now / align) * align);
      return;
    }
    if (rec.interval !== undefined) {
      rec.due = now + rec.interval;
      this.pushTimer(rec, rec.due);
    } else {
      rec.cancelled = true;
      this.timers.delete(rec.id);
    }
    rec.fn();
  }

  /** Shown again: throttled timers run at their own due time (or now, if that has passed). */
  show(): void {
    if (!this.hidden) return;
    this.hidden = false;
    for (const rec of this.timers.values()) if (!rec.cancelled) this.pushTimer(rec, Math.max(this.kernel.now, rec.due));
  }

  hide(longAgo: boolean): void {
    if (this.hidden) return;
    this.hidden = true;
    this.hiddenSince = longAgo ? this.kernel.now - 5 * 60_000 : this.kernel.now;
  }

  /** Runs again: what it could not run meanwhile runs now, in the order it was due. */
  wake(first?: () => void): void {
    if (this.state === 'gone') return;
    this.state = 'running';
    if (first) this.post(0, first);
    const tasks = this.deferred.splice(0);
    for (const t of tasks) this.kernel.push({ ...t, at: this.kernel.now, seq: 0 });
  }
}

export class Kernel {
  now = 0;
  steps = 0;
  private seq = 0;
  private heap: Task[] = [];

  push(t: Task): void {
    t.seq = ++this.seq;
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[i]!, h[p]!)) {
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      } else break;
    }
  }

  /** Browser-side (no tab) task. */
  later(delay: number, fn: () => void): void {
    this.push({ at: this.now + Math.max(0, delay), seq: 0, tab: undefined, fn });
  }

  private pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /**
   * Runs the next task due at or before `until`; returns false when there is none (the clock
   * then moves to `until`). `after` runs after the task's microtasks drained (invariants).
   */
  async step(until: number): Promise<boolean> {
    const next = this.heap[0];
    if (!next || next.at > until) {
      this.now = Math.max(this.now, until);
      return false;
    }
    const t = this.pop()!;
    this.now = Math.max(this.now, t.at);
    if (t.timer && t.gen !== t.timer.gen) return true; // superseded (re-aligned or shown)
    const tab = t.tab;
    if (tab) {
      if (tab.state === 'gone') return true;
      if (tab.state !== 'running') {
        tab.deferred.push(t);
        return true;
      }
    }
    this.steps += 1;
    t.fn();
    await drainMicrotasks();
    return true;
  }
}

function less(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
