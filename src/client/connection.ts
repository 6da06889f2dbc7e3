import { backoffDelay } from './backoff.js';
import { ConnectionBanner } from './banner.js';
import { systemClock, type Clock } from './clock.js';
import { connectToSSE } from './connect.js';
import { BoundedIdSet, RecentMessages } from './dedupe.js';
import { BroadcastElection } from './election/broadcast-election.js';
import { LockElection } from './election/lock-election.js';
import type { ChannelCtor, ChannelLike, Election, ElectionCallbacks, LockManagerLike } from './election/types.js';
import { declareRole } from './hook.js';
import { channelName, isChannelMessage, lockName, type ChannelMessage, type LeaderStatus } from './protocol.js';
import { callAll, reportError } from './safe-call.js';
import type { ConnectOptions, ElectionKind, MessageHandler, MessageMeta, Mode, Role, StreamHandle, StreamMessage, StreamState, TransportKind } from './types.js';
import { LeaderWatchdog } from './watchdog.js';

export interface PersistentChatOptions extends Omit<ConnectOptions, 'lastEventId'> {
  /** leader heartbeat period, default 1000 */
  heartbeatMs?: number;
  /** follower: leader silence before a ping, default 5000 */
  watchdogMs?: number;
  /** follower: wait for a pong before taking over, default 2000 */
  probeMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** show the connection banner (needs a document), default true */
  banner?: boolean;
  /** Web Locks; null = behave as if missing. Default navigator.locks */
  locks?: LockManagerLike | null;
  /** null = behave as if missing. Default globalThis.BroadcastChannel */
  BroadcastChannel?: ChannelCtor | null;
  /** target of pagehide/pageshow/freeze/resume and of the DevTools hook. Default globalThis */
  window?: LifecycleTarget | null;
  document?: Document | null;
  tabId?: string;
  /** ids remembered for deduplication, default 2000 */
  dedupeCapacity?: number;
  /** messages kept to answer a follower's resync, default 500 */
  recentCapacity?: number;
  /** follower: how long relays are held back waiting for a resync answer, default 1000 */
  resyncWaitMs?: number;
  /** new leader that knows no event id: how long it waits for the followers' resume points, default 300 */
  resumeWaitMs?: number;
}

export interface LifecycleTarget {
  addEventListener(type: string, listener: (ev: Event) => void): void;
  removeEventListener(type: string, listener: (ev: Event) => void): void;
}

export interface ConnectionInfo {
  /** the seed's field */
  mode: Mode;
  role: Role;
  /** the seed's field: this tab holds an open stream */
  connected: boolean;
  /** this tab gets messages (its own open stream, or a leader that says its stream is open) */
  receiving: boolean;
  tabId: string;
  leaderId?: string;
  election: ElectionKind;
  transport: TransportKind;
  streamState: StreamState;
  leaderStatus?: LeaderStatus;
  lastEventId?: string;
  retryAt?: number;
  attempt: number;
  lastError?: string;
}

function parseData(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * Whether event id `a` comes after `b`. Ids are opaque to SSE; when both are decimal integers
 * (as the seed's server sends) they are compared as numbers, otherwise any other id counts as
 * later (the relay then relies on deduplication alone).
 */
export function idAfter(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a !== b;
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length > y.length : x > y;
}

/** Whether integer id `a` comes right after `b` (nothing can be between them). */
export function isNextId(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) === BigInt(b) + 1n;
}

/** The older of two event ids (either may be missing). */
function olderId(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return idAfter(a, b) ? b : a;
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `t-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

/**
 * One stream per project per browser: the leader tab holds it and relays every message over
 * BroadcastChannel `chat-<projectId>`; the other tabs follow. See docs/client.md.
 */
export class PersistentChatConnection {
  readonly projectId: string;
  private readonly opts: PersistentChatOptions;
  private readonly tabId: string;
  private readonly handlers = new Set<MessageHandler>();
  private readonly listeners = new Set<(info: ConnectionInfo) => void>();
  private readonly seen: BoundedIdSet;
  private readonly recent: RecentMessages;
  private readonly watchdog: LeaderWatchdog;
  private readonly banner: ConnectionBanner | undefined;
  private readonly win: LifecycleTarget | undefined;
  private readonly clock: Clock;

  private started = false;
  private suspended = false;
  private channel: ChannelLike | undefined;
  private electionChannel: ChannelLike | undefined;
  private election: Election | undefined;
  private role: Role = 'follower';
  private mode: Mode = 'disconnected';
  private stream: StreamHandle | undefined;
  private eventSource: EventSource | undefined;
  private streamState: StreamState = 'idle';
  private term = 0;
  private attempt = 0;
  private retryTimer: unknown;
  private retryAt: number | undefined;
  private heartbeatTimer: unknown;
  private lastEventId: string | undefined;
  private lastRelayedId: string | undefined;
  private leaderId: string | undefined;
  /** the leader's last event id, from its heartbeats: a tab that never got a message resumes from it */
  private leaderLastEventId: string | undefined;
  private leaderStatus: LeaderStatus | undefined;
  private leaderRetryAt: number | undefined;
  /** not before this time may this tab open a stream: a Retry-After it was given, by the
   *  server or relayed by the leader it followed; it survives a change of leader */
  private notBefore: number | undefined;
  /** this tab followed another at some point (so other tabs may know where the stream is) */
  private wasFollower = false;
  /** a new leader that knows no event id waits for the followers' resume points */
  private resumeWait: { id?: string } | undefined;
  /** where the other tabs are, told when this tab said hello (oldest) */
  private resumeHint: string | undefined;
  /** the leader we told our resume point */
  private resumeToldTo: string | undefined;
  /** a rival leader's relays we could not place while leading (see becomeFollower) */
  private rivalRelays: ChannelMessage[] = [];
  /** relays held back while a resync is awaited */
  private held: Array<{ id?: string; event: string; raw: string }> = [];
  private holdTimer: unknown;
  /** the id the browser would resume this stream from (EventSource reconnects by itself) */
  private streamResumeId: string | undefined;
  /** the stream attempt in progress */
  private connecting: AbortController | undefined;
  private lastError: string | undefined;
  private resyncUntil = 0;
  private settleReady: (() => void) | undefined;
  private ready: Promise<void> = Promise.resolve();
  private readonly lifecycle: Array<[LifecycleTarget, string, (ev: Event) => void]> = [];

  constructor(projectId: string, onMessage?: MessageHandler, options: PersistentChatOptions = {}) {
    if (typeof projectId !== 'string' || projectId === '') throw new TypeError('projectId must be a non-empty string');
    this.projectId = projectId;
    this.opts = options;
    this.clock = options.clock ?? systemClock;
    this.tabId = options.tabId ?? randomId();
    if (onMessage) this.handlers.add(onMessage);
    this.seen = new BoundedIdSet(options.dedupeCapacity ?? 2000);
    this.recent = new RecentMessages(options.recentCapacity ?? 500);
    this.win = options.window === null ? undefined : (options.window ?? (typeof (globalThis as Partial<LifecycleTarget>).addEventListener === 'function' ? (globalThis as unknown as LifecycleTarget) : undefined));
    const doc = options.document === null ? undefined : (options.document ?? (globalThis as { document?: Document }).document);
    this.banner = options.banner === false || !doc ? undefined : new ConnectionBanner(doc);
    this.watchdog = new LeaderWatchdog(
      { timeoutMs: options.watchdogMs ?? 5000, probeMs: options.probeMs ?? 2000, clock: this.clock },
      {
        probe: () => this.post({ type: 'ping', from: this.tabId, nonce: randomId() }),
        onDead: () => {
          this.leaderId = undefined;
          this.election?.takeOver();
        },
      },
    );
  }

  /** Adds a message handler; returns its remover. A handler that throws does not stop the others. */
  addMessageHandler(h: MessageHandler): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  /** Called after every change of role or state. */
  subscribe(listener: (info: ConnectionInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts; resolves once this tab knows its role (and, as leader, after its first attempt). */
  connect(): Promise<void> {
    if (this.started) return this.ready;
    this.started = true;
    this.suspended = false;
    this.ready = new Promise<void>((resolve) => {
      this.settleReady = resolve;
    });
    const BC = this.opts.BroadcastChannel === null ? undefined : (this.opts.BroadcastChannel ?? (globalThis as { BroadcastChannel?: ChannelCtor }).BroadcastChannel);
    if (BC) {
      try {
        this.channel = new BC(channelName(this.projectId));
        this.channel.addEventListener('message', this.onChannelEvent);
      } catch {
        this.channel = undefined;
      }
    }
    this.attachLifecycle();
    const locks =
      this.opts.locks === null
        ? undefined
        : (this.opts.locks ?? (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks);
    const cbs: ElectionCallbacks = {
      onElected: () => this.startLeading(),
      onDeposed: (reason) => {
        this.lastError = `stepped down: ${reason}`;
        this.stopLeading();
        this.becomeFollower();
      },
      onFollower: () => this.becomeFollower(),
    };
    if (this.channel && locks) {
      this.election = new LockElection(locks, lockName(this.projectId), cbs, this.opts.watchdogMs ?? 5000, this.clock);
    } else if (this.channel && BC) {
      try {
        this.electionChannel = new BC(lockName(this.projectId));
        this.election = new BroadcastElection(this.electionChannel, this.tabId, cbs, {
          heartbeatMs: this.opts.heartbeatMs ?? 1000,
          leaderTimeoutMs: this.opts.watchdogMs ?? 5000,
          clock: this.clock,
          ...(this.opts.random ? { random: this.opts.random } : {}),
        });
      } catch {
        this.election = undefined;
      }
    }
    if (this.channel) this.post({ type: 'hello', from: this.tabId });
    if (this.election) this.election.start();
    else this.startLeading(); // no coordination possible: this tab connects on its own
    return this.ready;
  }

  /** Stops everything: closes the stream, leaves the election, closes the channel. */
  disconnect(): void {
    if (!this.started) return;
    this.suspend();
    this.started = false;
    for (const [t, type, l] of this.lifecycle.splice(0)) t.removeEventListener(type, l);
    this.channel?.removeEventListener('message', this.onChannelEvent);
    this.channel?.close();
    this.channel = undefined;
    this.electionChannel?.close();
    this.electionChannel = undefined;
    this.election = undefined;
    this.banner?.hide();
    this.settle();
    this.notify();
  }

  getConnectionInfo(): ConnectionInfo {
    const connected = this.mode === 'leader' && this.streamState === 'open' && (this.stream?.isOpen() ?? false);
    const info: ConnectionInfo = {
      mode: this.mode,
      role: this.role,
      connected,
      receiving: connected || (this.mode === 'follower' && this.leaderStatus === 'connected'),
      tabId: this.tabId,
      election: this.election?.kind ?? 'none',
      transport: this.opts.transport ?? 'eventsource',
      streamState: this.streamState,
      attempt: this.attempt,
    };
    if (this.leaderId !== undefined) info.leaderId = this.leaderId;
    if (this.leaderStatus !== undefined) info.leaderStatus = this.leaderStatus;
    if (this.lastEventId !== undefined) info.lastEventId = this.lastEventId;
    const retryAt = this.mode === 'leader' ? this.retryAt : this.leaderRetryAt;
    if (retryAt !== undefined) info.retryAt = retryAt;
    if (this.lastError !== undefined) info.lastError = this.lastError;
    return info;
  }

  /** The EventSource of a leader on the EventSource transport (the seed exposed it). */
  get currentEventSource(): EventSource | undefined {
    return this.eventSource;
  }

  // ---- roles -------------------------------------------------------------------------

  private setRole(role: Role, mode: Mode): void {
    const changed = role !== this.role || mode !== this.mode;
    this.role = role;
    this.mode = mode;
    if (changed) declareRole(this.win, this.projectId, role);
  }

  private startLeading(): void {
    if (!this.started || this.suspended) return;
    this.term += 1;
    this.setRole(this.election ? 'leader' : 'standalone', 'leader');
    this.watchdog.stop();
    this.leaderId = this.tabId;
    this.leaderStatus = undefined;
    // A leader that was refused (429) told us when to come back: a failover does not reset it.
    if (this.leaderRetryAt !== undefined) this.notBefore = Math.max(this.notBefore ?? 0, this.leaderRetryAt);
    this.leaderRetryAt = undefined;
    if (this.lastEventId === undefined) this.lastEventId = olderId(this.leaderLastEventId, this.resumeHint);
    this.rivalRelays = [];
    // Relays held for a resync: our own stream replays them, in order, from lastEventId.
    if (this.holdTimer !== undefined) this.clock.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.held = [];
    this.lastRelayedId = this.lastEventId;
    this.attempt = 0;
    if (this.channel) {
      this.heartbeatTimer = this.clock.setInterval(() => this.postHeartbeat(), this.opts.heartbeatMs ?? 1000);
      this.postHeartbeat();
    }
    let wait = (this.notBefore ?? 0) - this.clock.now();
    this.resumeWait = undefined;
    if (this.lastEventId === undefined && this.wasFollower && this.channel) {
      // We never got a message, but other tabs did: a fresh stream would skip what they missed
      // since. They answer our heartbeat with where they are; wait a moment for that.
      this.resumeWait = {};
      wait = Math.max(wait, this.opts.resumeWaitMs ?? 300);
    }
    if (wait > 0) this.waitThenOpen(this.term, wait);
    else void this.openStream(this.term);
  }

  /**
   * The browser reconnects an EventSource by itself, on its own schedule: while a Retry-After
   * this tab learnt still runs, close it and reopen when that is over.
   */
  private holdBrowserReconnect(): void {
    const wait = (this.notBefore ?? 0) - this.clock.now();
    if (wait <= 0 || !this.stream || this.streamState !== 'connecting') return;
    this.stream.close();
    this.stream = undefined;
    this.eventSource = undefined;
    this.waitThenOpen(this.term, wait);
  }

  /**
   * A stream that started with no event id (fresh) while this tab has since learnt one (from
   * a follower, or a rival leader's relays): what was published in between would be skipped.
   * The server just admitted it, so reopen at once from the id we know.
   */
  private reopenedFresh(term: number): boolean {
    if (this.streamResumeId !== undefined || this.lastEventId === undefined || term !== this.term) return false;
    this.stream?.close();
    this.stream = undefined;
    this.eventSource = undefined;
    void this.openStream(term);
    return true;
  }

  /** Opens the stream after `delay` (a Retry-After still running), telling the followers. */
  private waitThenOpen(term: number, delay: number): void {
    this.streamState = 'backoff';
    this.retryAt = this.clock.now() + delay;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      if (term === this.term) void this.openStream(term);
    }, delay);
    this.postStatus('backoff');
    this.settle();
    this.notify();
  }

  private stopLeading(): void {
    this.term += 1;
    this.connecting?.abort(); // a stream still opening must not outlive our leadership
    this.connecting = undefined;
    if (this.heartbeatTimer !== undefined) this.clock.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
    this.stream?.close();
    this.stream = undefined;
    this.eventSource = undefined;
    this.streamState = 'idle';
    if (this.leaderId === this.tabId) this.leaderId = undefined;
  }

  private becomeFollower(): void {
    if (!this.started || this.suspended || this.election?.isLeader) return;
    this.wasFollower = true;
    // A deposed leader (or a tab that never heard one) does not know the leader's state:
    // ask, or it would show "not receiving" until the leader's next change of state.
    if (this.leaderStatus === undefined) this.post({ type: 'hello', from: this.tabId });
    this.setRole('follower', 'follower');
    this.watchdog.start();
    // Relays of the leader that replaced us, received while we still thought we led.
    for (const m of this.rivalRelays.splice(0)) this.onChannelMessage(m);
    this.updateFollowerBanner();
    this.settle();
    this.notify();
  }

  // ---- the leader's stream -------------------------------------------------------------

  private connectOptions(): ConnectOptions {
    const { BroadcastChannel: _bc, locks: _l, window: _w, document: _d, banner: _b, ...rest } = this.opts;
    return { ...rest, ...(this.lastEventId !== undefined ? { lastEventId: this.lastEventId } : {}) };
  }

  private async openStream(term: number): Promise<void> {
    if (this.resumeWait !== undefined) {
      const id = this.resumeWait.id;
      this.resumeWait = undefined;
      if (id !== undefined && this.lastEventId === undefined) {
        this.lastEventId = id;
        this.lastRelayedId = id;
      }
    }
    this.retryTimer = undefined;
    this.retryAt = undefined;
    const wait = (this.notBefore ?? 0) - this.clock.now();
    if (wait > 0) {
      this.waitThenOpen(term, wait); // a Retry-After learnt meanwhile still runs
      return;
    }
    this.streamState = 'connecting';
    this.postStatus('connecting');
    this.notify();
    const attempt = new AbortController();
    this.connecting = attempt;
    this.streamResumeId = this.lastEventId;
    const result = await connectToSSE(this.projectId, {
      ...this.connectOptions(),
      signal: attempt.signal,
      // a refusal learnt after the attempt was abandoned (we stepped down meanwhile) still counts
      onRetryAfter: (ms) => {
        this.notBefore = Math.max(this.notBefore ?? 0, this.clock.now() + ms);
      },
    });
    if (this.connecting === attempt) this.connecting = undefined;
    if (term !== this.term) {
      result.stream?.close(); // deposed or suspended meanwhile
      // but a refusal still tells when this tab may come back
      if (result.mode === 'follower' && result.retryAfterMs !== undefined) {
        this.notBefore = Math.max(this.notBefore ?? 0, this.clock.now() + result.retryAfterMs);
      }
      return;
    }
    if (result.mode === 'leader' && result.stream) {
      if (this.streamResumeId === undefined && this.lastEventId !== undefined) {
        result.stream.close();
        void this.openStream(term); // see reopenedFresh
        return;
      }
      this.stream = result.stream;
      this.eventSource = result.eventSource;
      this.streamState = 'open';
      this.notBefore = undefined;
      this.attempt = 0;
      this.lastError = undefined;
      this.stream.start({
        onMessage: (m) => this.onStreamMessage(m),
        onError: (f) => {
          if (term !== this.term) return;
          this.lastError = f.reason;
          if (f.fatal) {
            this.stream?.close();
            this.stream = undefined;
            this.eventSource = undefined;
            this.scheduleRetry(term, f.retryAfterMs, 'limit');
          } else {
            this.streamState = 'connecting';
            this.postStatus('connecting');
            this.notify();
            // the browser resumes from the last id of this stream: stale if we got newer ones elsewhere
            this.holdBrowserReconnect();
          }
        },
        onReopen: () => {
          if (term !== this.term || this.reopenedFresh(term)) return;
          this.streamState = 'open';
          this.postStatus('connected');
          this.bannerResolved();
          this.notify();
        },
      });
      this.bannerResolved();
      this.postStatus('connected');
    } else {
      this.lastError = result.reason;
      this.scheduleRetry(term, result.retryAfterMs, result.mode === 'follower' ? 'limit' : 'error');
    }
    this.settle();
    this.notify();
  }

  /** Only the leader retries, with jittered backoff that never undercuts Retry-After. */
  private scheduleRetry(term: number, retryAfterMs: number | undefined, kind: 'limit' | 'error'): void {
    const delay = backoffDelay(this.attempt, {
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(this.opts.backoffBaseMs !== undefined ? { baseMs: this.opts.backoffBaseMs } : {}),
      ...(this.opts.backoffMaxMs !== undefined ? { maxMs: this.opts.backoffMaxMs } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
    });
    this.attempt += 1;
    this.streamState = 'backoff';
    this.retryAt = this.clock.now() + delay;
    if (retryAfterMs !== undefined) this.notBefore = Math.max(this.notBefore ?? 0, this.retryAt);
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      if (term === this.term) void this.openStream(term);
    }, delay);
    const secs = Math.max(1, Math.round(delay / 1000));
    this.banner?.show(
      kind,
      kind === 'limit'
        ? `Too many chat connections are open for this project. Retrying in about ${secs} s.`
        : `Chat connection lost (${this.lastError ?? 'unknown error'}). Retrying in about ${secs} s.`,
    );
    this.postStatus('backoff');
    this.notify();
  }

  private onStreamMessage(m: StreamMessage): void {
    if (m.id !== undefined) this.streamResumeId = m.id;
    if (m.id !== undefined && !this.seen.add(m.id)) return; // overlap of a Last-Event-ID replay
    const prevId = this.lastRelayedId;
    const data = parseData(m.data);
    this.post({
      type: 'sse-message',
      from: this.tabId,
      data,
      raw: m.data,
      event: m.event,
      timestamp: this.clock.now(),
      ...(m.id !== undefined ? { id: m.id } : {}),
      ...(prevId !== undefined ? { prevId } : {}),
    });
    if (m.id !== undefined) this.lastRelayedId = m.id;
    this.deliver(m.id, m.event, m.data, data, 'stream', true);
  }

  private deliver(id: string | undefined, event: string, raw: string, data: unknown, via: MessageMeta['via'], advance: boolean): void {
    if (id !== undefined) {
      this.recent.push({ id, event, data: raw });
      if (advance) this.lastEventId = id;
    }
    const meta: MessageMeta = { event, via, ...(id !== undefined ? { id } : {}) };
    callAll(this.handlers, [data, meta], reportError);
  }

  // ---- the channel ----------------------------------------------------------------------

  private post(m: ChannelMessage): void {
    if (!this.channel) return;
    try {
      this.channel.postMessage(m);
    } catch (err) {
      reportError(err); // e.g. data that cannot be cloned: the relay goes on with the next one
    }
  }

  private postHeartbeat(): void {
    this.post({
      type: 'heartbeat',
      from: this.tabId,
      state: this.streamState,
      timestamp: this.clock.now(),
      ...(this.lastEventId !== undefined ? { lastEventId: this.lastEventId } : {}),
    });
  }

  private postStatus(status: LeaderStatus): void {
    this.post({
      type: 'leader-status',
      from: this.tabId,
      status,
      timestamp: this.clock.now(),
      ...(this.lastEventId !== undefined ? { lastEventId: this.lastEventId } : {}),
      ...(status === 'backoff' && this.retryAt !== undefined ? { retryAt: this.retryAt } : {}),
      ...(this.lastError !== undefined && status !== 'connected' ? { reason: this.lastError } : {}),
    });
  }

  private readonly onChannelEvent = (ev: { data: unknown }): void => {
    try {
      if (isChannelMessage(ev.data) && ev.data.from !== this.tabId) this.onChannelMessage(ev.data);
    } catch (err) {
      reportError(err); // one bad message must not stop the relay
    }
  };

  private isLeading(): boolean {
    return this.mode === 'leader';
  }

  private noteLeader(from: string): void {
    if (this.isLeading()) return;
    if (this.leaderId !== from) {
      this.leaderId = from;
      this.notify();
    }
    this.watchdog.seen();
  }

  private onChannelMessage(m: ChannelMessage): void {
    switch (m.type) {
      case 'sse-message': {
        if (this.isLeading()) {
          // Another tab that also thinks it leads (two leaders for a moment, or one woken from
          // a stall). Our own stream has its messages, unless ours is behind: take one that
          // follows on from the last we delivered (dedupe keeps our stream from repeating it).
          const next =
            m.id !== undefined &&
            !this.seen.has(m.id) &&
            (this.lastEventId === undefined
              ? m.prevId === undefined || !this.seen.has(m.prevId)
              : m.prevId === this.lastEventId || isNextId(m.id, this.lastEventId));
          if (!next && m.id !== undefined && !this.seen.has(m.id) && (this.lastEventId === undefined || idAfter(m.id, this.lastEventId))) {
            // cannot place it yet: if we turn out to be the stale one and step down, it is ours
            this.rivalRelays.push(m);
            if (this.rivalRelays.length > (this.opts.recentCapacity ?? 500)) this.rivalRelays.shift();
          }
          if (next && m.id !== undefined) {
            this.seen.add(m.id);
            // relay it too: a tab that opened after the rival posted it has it from no one else
            // (our stream will not, as it is now a duplicate); the others deduplicate it
            this.post({ ...m, from: this.tabId, timestamp: this.clock.now(), ...(this.lastRelayedId !== undefined ? { prevId: this.lastRelayedId } : {}) });
            this.lastRelayedId = m.id;
            this.deliver(m.id, m.event, m.raw, parseData(m.raw), 'relay', true);
          }
          return;
        }
        // A leader that wakes from a stall relays what its stream buffered meanwhile, before it
        // learns it was replaced: with the seed's integer ids, such a message is recognisable
        // (not after the last one delivered here) and is dropped, not delivered out of order.
        if (m.id !== undefined && this.lastEventId !== undefined && !idAfter(m.id, this.lastEventId)) return;
        this.noteLeader(m.from);
        const entry = { event: m.event, raw: m.raw, ...(m.id !== undefined ? { id: m.id } : {}) };
        if (this.holdTimer !== undefined) {
          this.held.push(entry); // waiting for a resync: keep the order
          return;
        }
        if (m.id !== undefined) {
          if (this.seen.has(m.id)) return;
          if (this.lastEventId !== undefined && m.prevId !== undefined && m.prevId !== this.lastEventId && !this.seen.has(m.prevId) && this.requestResync()) {
            // Something was missed: hold this one (and what follows) until the leader sent the
            // missing ones, so that they are delivered in stream order.
            this.held.push(entry);
            this.holdTimer = this.clock.setTimeout(() => this.flushHeld(), this.opts.resyncWaitMs ?? 1000);
            return;
          }
          this.seen.add(m.id);
        }
        this.deliver(m.id, m.event, m.raw, parseData(m.raw), 'relay', true);
        return;
      }
      case 'heartbeat':
        this.noteLeader(m.from);
        if (m.lastEventId !== undefined) this.leaderLastEventId = m.lastEventId;
        else this.tellResumePoint(m.from);
        return;
      case 'resume':
        if (m.to !== this.tabId) return;
        // the oldest point any other tab knows, so that none of them misses anything
        if (this.resumeWait !== undefined) this.resumeWait.id = olderId(this.resumeWait.id, m.lastEventId);
        else if (!this.isLeading()) this.resumeHint = olderId(this.resumeHint, m.lastEventId);
        else if (this.lastEventId === undefined) {
          // We lead without knowing where the stream is (nothing delivered yet): resume there.
          // An attempt in progress or the browser's reconnect is redone from it when it opens;
          // a stream already open (fresh) is reopened from it now.
          this.lastEventId = m.lastEventId;
          this.lastRelayedId = m.lastEventId;
          if (this.streamState === 'open') this.reopenedFresh(this.term);
        }
        return;
      case 'leader-status':
        if (this.isLeading()) {
          // A rival leader (two at once, about to be resolved) was refused: its Retry-After
          // holds for this browser's next stream too.
          if (m.status === 'backoff' && m.retryAt !== undefined) {
            this.notBefore = Math.max(this.notBefore ?? 0, m.retryAt);
            this.holdBrowserReconnect();
          }
          return;
        }
        if (m.status === 'disconnected') {
          // Only the current leader may say it left; a follower's goodbye changes nothing.
          if (m.from === this.leaderId) {
            this.leaderId = undefined;
            this.leaderStatus = 'disconnected';
            this.updateFollowerBanner();
            this.notify();
          }
          return;
        }
        this.noteLeader(m.from);
        if (m.lastEventId !== undefined) this.leaderLastEventId = m.lastEventId;
        else this.tellResumePoint(m.from);
        this.leaderStatus = m.status;
        this.leaderRetryAt = m.retryAt;
        this.updateFollowerBanner();
        this.notify();
        return;
      case 'hello':
        if (this.isLeading()) {
          this.postHeartbeat();
          this.postStatus(this.streamState === 'open' ? 'connected' : this.streamState === 'backoff' ? 'backoff' : 'connecting');
        } else if (this.lastEventId !== undefined) {
          // a new tab may lead before it hears any leader: tell it where the stream is
          this.post({ type: 'resume', from: this.tabId, to: m.from, lastEventId: this.lastEventId });
        }
        return;
      case 'ping':
        if (this.isLeading()) this.post({ type: 'pong', from: this.tabId, nonce: m.nonce });
        return;
      case 'pong':
        this.noteLeader(m.from);
        return;
      case 'resync':
        if (this.isLeading()) {
          const messages = this.recent.after(m.after).map((e) => ({ id: e.id, event: e.event, raw: e.data }));
          this.post({ type: 'resync-reply', from: this.tabId, to: m.from, messages });
        }
        return;
      case 'resync-reply':
        if (m.to !== this.tabId) return;
        if (this.holdTimer !== undefined) {
          // The missing messages and the held ones, delivered together in stream order.
          this.flushHeld(m.messages);
          return;
        }
        // A late or second answer: only what is still new here (with integer ids; otherwise
        // a recovered message may arrive after newer ones, see docs/client.md).
        for (const e of m.messages) {
          if (this.lastEventId !== undefined && !idAfter(e.id, this.lastEventId)) continue;
          if (this.seen.add(e.id)) this.deliver(e.id, e.event, e.raw, parseData(e.raw), 'relay', true);
        }
        return;
    }
  }

  /** A leader that knows no event id (a new tab that never got a message) is told ours. */
  private tellResumePoint(leader: string): void {
    if (this.isLeading() || this.lastEventId === undefined || this.resumeToldTo === leader) return;
    this.resumeToldTo = leader;
    this.post({ type: 'resume', from: this.tabId, to: leader, lastEventId: this.lastEventId });
  }

  /** Asks the leader for what this tab missed; false when one was asked for less than 1 s ago. */
  private requestResync(): boolean {
    const now = this.clock.now();
    if (now < this.resyncUntil) return false;
    this.resyncUntil = now + 1000;
    this.post({ type: 'resync', from: this.tabId, ...(this.lastEventId !== undefined ? { after: this.lastEventId } : {}) });
    return true;
  }

  /** Delivers the relays held while waiting for a resync (the answer came, or the wait ended). */
  private flushHeld(recovered: ReadonlyArray<{ id: string; event: string; raw: string }> = []): void {
    if (this.holdTimer !== undefined) this.clock.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    // The leader's answer may hold messages older than, newer than, or the same as those held
    // (it answers with what it has): merge them into stream order, by id when ids are integers.
    const all: Array<{ id?: string; event: string; raw: string }> = [...recovered, ...this.held.splice(0)];
    if (all.every((e) => e.id !== undefined && /^\d+$/.test(e.id))) {
      all.sort((a, b) => (a.id === b.id ? 0 : idAfter(a.id ?? '', b.id ?? '') ? 1 : -1));
    }
    for (const e of all) {
      if (e.id !== undefined) {
        if (this.lastEventId !== undefined && !idAfter(e.id, this.lastEventId)) continue;
        if (!this.seen.add(e.id)) continue;
      }
      this.deliver(e.id, e.event, e.raw, parseData(e.raw), 'relay', true);
    }
  }

  /** The stream is open again: hide the notice, and let a later refusal show it again. */
  private bannerResolved(): void {
    this.banner?.resolved('limit');
    this.banner?.resolved('error');
    if (this.mode === 'leader') this.banner?.hide();
  }

  private updateFollowerBanner(): void {
    if (!this.banner || this.mode !== 'follower') return;
    if (this.leaderStatus === 'connecting') return; // a retry in progress changes nothing yet
    if (this.leaderStatus === 'connected') this.bannerResolved();
    if (this.leaderStatus === 'backoff') {
      const secs = this.leaderRetryAt !== undefined ? Math.max(1, Math.round((this.leaderRetryAt - this.clock.now()) / 1000)) : undefined;
      this.banner.show('limit', `Too many chat connections are open for this project.${secs !== undefined ? ` Retrying in about ${secs} s.` : ''}`);
    } else {
      this.banner.show('follower', 'Several chat windows are open. This tab receives messages through another window.');
    }
  }

  // ---- page lifecycle ---------------------------------------------------------------------

  private attachLifecycle(): void {
    const add = (t: LifecycleTarget | undefined, type: string, l: (ev: Event) => void): void => {
      if (!t) return;
      t.addEventListener(type, l);
      this.lifecycle.push([t, type, l]);
    };
    const doc = this.opts.document === null ? undefined : (this.opts.document ?? (globalThis as { document?: Document }).document);
    // Release the lock when leaving (a held lock keeps the page out of the back/forward cache,
    // and a frozen holder strands the followers); contend again when coming back.
    add(this.win, 'pagehide', () => this.suspend());
    add(this.win, 'pageshow', (ev) => {
      if ((ev as PageTransitionEvent).persisted) this.resume();
    });
    add(doc, 'freeze', () => this.suspend());
    add(doc, 'resume', () => this.resume());
  }

  private suspend(): void {
    if (this.suspended || !this.started) return;
    this.suspended = true;
    if (this.isLeading()) {
      this.postStatus('disconnected');
      this.stopLeading();
    }
    this.watchdog.stop();
    this.election?.stop();
    this.setRole(this.role === 'leader' ? 'follower' : this.role, 'disconnected');
    this.notify();
  }

  private resume(): void {
    if (!this.suspended || !this.started) return;
    this.suspended = false;
    if (this.channel) this.post({ type: 'hello', from: this.tabId });
    if (this.election) this.election.start();
    else this.startLeading();
  }

  private settle(): void {
    this.settleReady?.();
    this.settleReady = undefined;
  }

  private notify(): void {
    const info = this.getConnectionInfo();
    callAll(this.listeners, [info], reportError);
  }
}
