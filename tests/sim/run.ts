/**
 * One run: the real client (src/client) in N simulated tabs against the simulated browser
 * services and server, driven by a Scenario, with the invariants checked at every step.
 */
import { PersistentChatConnection } from '../../src/client/index.js';
import type { MessageMeta } from '../../src/client/types.js';
import { SimChannels, SimLocks } from './browser.js';
import { Kernel, SimTabCore, prng } from './kernel.js';
import { describeAction, type Action, type Scenario } from './schedule.js';
import { SimServer, eventSourceFor, fetchFor } from './server.js';

/** The bounds the invariants use (see docs/reliability.md for why these values). */
export const BOUNDS = {
  /** one-way network latency, ms */
  netLatency: [1, 40] as const,
  /** BroadcastChannel and lock IPC latency, ms */
  ipcLatency: [0, 3] as const,
  /** two streams held at once by running tabs of one browser: tolerated for at most this long */
  handoverMs: 250,
  /** once the schedule is quiet, every follower has a connected leader within this (see docs/reliability.md) */
  convergeMs: 600_000,
  limit: 5,
  maxTabs: 6,
  maxStalled: 3,
};

/** the client's defaultRetryAfterMs: what an EventSource page assumes when it cannot learn the Retry-After */
const ES_BLIND_RETRY_AFTER_MS = 10_000;

export type InvariantName = 'single-leader' | 'follower-has-leader' | 'exactly-once-in-order' | 'retry-after' | 'server-limit';
export const INVARIANTS: InvariantName[] = ['single-leader', 'follower-has-leader', 'exactly-once-in-order', 'retry-after', 'server-limit'];

export interface Violation {
  invariant: InvariantName;
  at: number;
  detail: string;
}

export interface RunResult {
  violations: Violation[];
  trace: string[];
  stats: {
    steps: number;
    virtualMs: number;
    tabsOpened: number;
    messages: number;
    refusals: number;
    accepts: number;
    steals: number;
    /** longest time two running tabs held streams at once */
    maxDuplicateMs: number;
    /** time from the start of the quiet phase to a connected leader followed by all */
    convergeMs: number;
  };
}

interface SimTab {
  core: SimTabCore;
  n: number;
  conn: PersistentChatConnection;
  win: EventTarget;
  doc: EventTarget;
  delivered: number[];
  seen: Set<number>;
  /** obligation: every message after this id (but see `excused`) */
  baseline: number;
  ownDeadline: number | undefined;
  relayedDeadline: number | undefined;
  lastMode: string;
}

function pageEvent(type: string, persisted: boolean): Event {
  const e = new Event(type);
  Object.defineProperty(e, 'persisted', { value: persisted });
  return e;
}

export interface RunOptions {
  /** keep the whole trace (default: last 400 lines) */
  fullTrace?: boolean;
}

export async function runScenario(sc: Scenario, opts: RunOptions = {}): Promise<RunResult> {
  const kernel = new Kernel();
  const rnd = prng(sc.seed);
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const trace: string[] = [];
  const fmt = (t: number): string => `${(t / 1000).toFixed(3).padStart(9)}s`;
  const log = (msg: string): void => {
    trace.push(`${fmt(kernel.now)}  ${msg}`);
    if (!opts.fullTrace && trace.length > 800) trace.splice(0, 400);
  };
  const violations: Violation[] = [];
  const violate = (invariant: InvariantName, detail: string): void => {
    if (violations.some((v) => v.invariant === invariant)) return; // the first of each kind tells the story
    violations.push({ invariant, at: kernel.now, detail });
    log(`!! VIOLATION ${invariant}: ${detail}`);
  };

  const tabs: SimTab[] = [];
  /** ids published while the browser had no resume point (see onAccept) */
  const excused = new Set<number>();
  const byCore = new Map<SimTabCore, SimTab>();
  const netLat = (): number => between(BOUNDS.netLatency[0], BOUNDS.netLatency[1]);
  const ipcLat = (): number => between(BOUNDS.ipcLatency[0], BOUNDS.ipcLatency[1]);

  const server = new SimServer(
    kernel,
    { limit: BOUNDS.limit, retryAfterSec: sc.retryAfterSec, retryAfterAsDate: sc.retryAfterAsDate },
    netLat,
    {
      onStreamRequest(core) {
        const t = byCore.get(core);
        if (!t) return;
        const d = Math.max(t.ownDeadline ?? -Infinity, t.relayedDeadline ?? -Infinity);
        if (kernel.now < d) {
          violate(
            'retry-after',
            `tab ${core.id} opened a stream at ${fmt(kernel.now)}, before ${fmt(d)} (${t.ownDeadline === d ? 'its own 429' : "a 429 its leader relayed"} said to wait until then)`,
          );
        }
      },
      onAccept(core, resumeFrom, lastId) {
        if (resumeFrom !== undefined) return;
        // A fresh start: what was published before it and never reached any tab is lost to the
        // browser. Excused only when no running tab knew an id to resume from.
        const running = tabs.filter((t) => t.core.state === 'running');
        const known = running.some((t) => t.delivered.length > 0);
        const everDelivered = tabs.reduce((m, t) => Math.max(m, t.delivered[t.delivered.length - 1] ?? 0), 0);
        if (!known) {
          for (let id = everDelivered + 1; id <= lastId; id += 1) excused.add(id);
          if (lastId > everDelivered) log(`(no resume point in the browser: messages ${everDelivered + 1}..${lastId} are not owed to anyone)`);
        } else log(`${core.id} started a fresh stream while running tabs knew a resume point`);
      },
      onAnswer(core, deadline, method) {
        const t = byCore.get(core);
        if (!t) return;
        // EventSource hides a refused response from the page: it learns the Retry-After only by
        // asking (HEAD) and, when it cannot ask, assumes the seed's default of 10 s. A 429 to its
        // GET binds it for min(Retry-After, 10 s); a 429 to its HEAD for the full Retry-After.
        if (deadline !== undefined && method === 'GET' && sc.transport === 'eventsource') {
          deadline = Math.min(deadline, kernel.now + ES_BLIND_RETRY_AFTER_MS);
        }
        t.ownDeadline = deadline;
      },
    },
    log,
  );
  const locks = new SimLocks(kernel, ipcLat, log);
  const channels = new SimChannels(kernel, ipcLat, {
    onPost(from, _name, data) {
      const m = data as { type?: string; status?: string };
      if (m.type === 'leader-status' && m.status === 'backoff') {
        const d = byCore.get(from)?.ownDeadline;
        return d !== undefined && d > kernel.now ? d : undefined;
      }
      return undefined;
    },
    onDeliver(to, _name, data, meta) {
      const m = data as { type?: string };
      const t = byCore.get(to);
      if (t && m.type === 'leader-status') t.relayedDeadline = typeof meta === 'number' ? meta : undefined;
    },
  });

  /**
   * The last id any tab ever delivered (whatever its state now): each was relayed when it was
   * delivered, so a tab whose channel did not exist yet could not hear it.
   */
  const frontierNow = (): number | undefined =>
    tabs.reduce<number | undefined>((m, t) => {
      const last = t.delivered[t.delivered.length - 1];
      return last === undefined ? m : Math.max(m ?? 0, last);
    }, undefined);

  let tabCounter = 0;
  const openTab = (hidden: boolean): void => {
    const live = tabs.filter((t) => t.core.state !== 'gone');
    if (live.length >= BOUNDS.maxTabs) {
      log('(open skipped: tab cap)');
      return;
    }
    tabCounter += 1;
    const core = new SimTabCore(kernel, `T${tabCounter}`);
    if (hidden) core.hide(false);
    const win = new EventTarget();
    const doc = new EventTarget();
    const delivered: number[] = [];
    // Baseline: what the browser had already delivered when this tab joined.
    const frontier = frontierNow();
    const tabSeed = Math.floor(rnd() * 2 ** 31);
    const tabRandom = prng(tabSeed);
    const t: SimTab = {
      core,
      n: tabCounter,
      win,
      doc,
      delivered,
      seen: new Set(),
      // owed: everything published after it joined, and whatever the running tabs had not yet
      // got when it joined (in flight, or to be replayed by the next leader)
      baseline: frontier ?? server.lastId,
      ownDeadline: undefined,
      relayedDeadline: undefined,
      lastMode: 'disconnected',
      conn: undefined as unknown as PersistentChatConnection,
    };
    t.conn = new PersistentChatConnection(
      'p1',
      (_data: unknown, meta: MessageMeta) => {
        const id = Number(meta.id);
        if (t.seen.has(id)) violate('exactly-once-in-order', `tab ${core.id} got message ${id} twice (via ${meta.via})`);
        else if (t.delivered.length && id < t.delivered[t.delivered.length - 1]!) {
          violate('exactly-once-in-order', `tab ${core.id} got message ${id} after ${t.delivered[t.delivered.length - 1]} (via ${meta.via})`);
        }
        t.seen.add(id);
        t.delivered.push(id);
      },
      {
        tabId: core.id,
        clock: core.clock,
        locks: sc.mode === 'locks' ? locks.forTab(core) : null,
        BroadcastChannel: channels.ctorFor(core),
        EventSource: eventSourceFor(core, server),
        fetch: fetchFor(core, server),
        transport: sc.transport,
        window: win,
        document: doc as unknown as Document,
        banner: false,
        random: tabRandom,
      },
    );
    t.conn.subscribe((info) => {
      const m = `${info.mode}/${info.streamState}`;
      if (m !== t.lastMode) {
        t.lastMode = m;
        log(`${core.id} is ${info.mode}${info.mode === 'leader' ? ` (stream ${info.streamState})` : ''}${info.leaderId && info.mode === 'follower' ? ` of ${info.leaderId}` : ''}`);
      }
    });
    tabs.push(t);
    byCore.set(core, t);
    log(`open ${core.id}${hidden ? ' (hidden)' : ''}`);
    core.post(0, () => {
      // it joins when its code runs (its channel exists from now): what the running tabs had
      // delivered by then was relayed before it could hear it
      t.baseline = frontierNow() ?? server.lastId;
      void t.conn.connect();
    });
  };

  const gone = (t: SimTab): void => {
    t.core.state = 'gone';
    t.core.deferred.length = 0;
    channels.closeTab(t.core);
    locks.closeTab(t.core);
    server.closeTab(t.core);
  };

  const pick = (n: number, ok: (t: SimTab) => boolean): SimTab | undefined => {
    // -1 (hand-written schedules only): the tab that leads now
    const c = tabs.filter((t) => t.core.state !== 'gone' && ok(t) && (n >= 0 || t.conn.getConnectionInfo().mode === 'leader'));
    if (n < 0) return c[0];
    return c.length ? c[n % c.length] : undefined;
  };

  const apply = (a: Action): void => {
    const label = describeAction(a);
    switch (a.k) {
      case 'open':
        openTab(a.hidden);
        return;
      case 'publish':
        log(label);
        for (let i = 0; i < a.n; i += 1) server.publish();
        return;
      case 'external':
        server.setExternal(a.n);
        log(`user's other devices hold ${server.external} streams`);
        return;
      case 'offline':
        log(label);
        server.goOffline(a.ms);
        return;
      case 'restart':
        log(label);
        server.restart();
        return;
      default:
        break;
    }
    const t = pick(a.tab, (x) => {
      const s = x.core.state;
      switch (a.k) {
        case 'stall':
          return s === 'running' && tabs.filter((y) => y.core.state === 'stalled').length < BOUNDS.maxStalled;
        case 'unstall':
          return s === 'stalled';
        case 'freeze':
          return s === 'running';
        case 'resume':
          return s === 'frozen';
        case 'hide':
          return !x.core.hidden;
        case 'show':
          return x.core.hidden;
        default:
          return true;
      }
    });
    if (!t) return;
    log(`${label.replace(`#${'tab' in a ? a.tab : ''}`, t.core.id)}`);
    const core = t.core;
    switch (a.k) {
      case 'close':
        if (core.state === 'running') {
          core.post(0, () => t.win.dispatchEvent(pageEvent('pagehide', false)));
          core.post(0, () => gone(t));
        } else gone(t);
        return;
      case 'crash':
        gone(t);
        return;
      case 'stall':
        core.state = 'stalled';
        return;
      case 'unstall':
        core.wake();
        return;
      case 'freeze':
        core.post(0, () => {
          t.doc.dispatchEvent(new Event('freeze'));
          kernel.later(0, () => {
            if (core.state === 'running') core.state = 'frozen';
          });
        });
        return;
      case 'resume':
        core.wake(() => t.doc.dispatchEvent(new Event('resume')));
        return;
      case 'hide':
        core.hide(a.longAgo);
        return;
      case 'show':
        core.show();
        return;
    }
  };

  // ---- invariants checked at every step ----------------------------------------------------
  let dupSince: number | undefined;
  let maxDup = 0;
  const checkStep = (): void => {
    const held = server.openConns().length + server.external; // counted here, not by the server under test
    if (held > BOUNDS.limit) violate('server-limit', `the server holds ${held} streams for the user/project, limit ${BOUNDS.limit}`);
    let n = 0;
    const who: string[] = [];
    for (const [core, k] of server.holders()) {
      if (core.state === 'stalled') continue; // cannot run: it will close its stream when it wakes
      n += k;
      who.push(`${core.id}×${k}`);
    }
    if (n >= 2) {
      if (dupSince === undefined) dupSince = kernel.now;
      else if (kernel.now - dupSince > BOUNDS.handoverMs) {
        violate('single-leader', `streams held at once by running tabs ${who.join(', ')} for ${kernel.now - dupSince} ms (> ${BOUNDS.handoverMs} ms)`);
      }
    } else if (dupSince !== undefined) {
      maxDup = Math.max(maxDup, kernel.now - dupSince);
      dupSince = undefined;
    }
  };

  const converged = (): string | undefined => {
    const live = tabs.filter((t) => t.core.state === 'running');
    if (live.length === 0) return undefined;
    const leaders = live.filter((t) => t.conn.getConnectionInfo().mode === 'leader');
    if (leaders.length !== 1) return `${leaders.length} leaders among running tabs (${leaders.map((t) => t.core.id).join(', ')})`;
    const L = leaders[0]!;
    if (!L.conn.getConnectionInfo().connected) return `leader ${L.core.id} has no open stream (${L.conn.getConnectionInfo().streamState})`;
    const h = server.holders();
    if ((h.get(L.core) ?? 0) !== 1) return `leader ${L.core.id} holds ${h.get(L.core) ?? 0} server streams`;
    for (const core of h.keys()) if (core !== L.core && core.state !== 'stalled') return `${core.id} holds a stream besides the leader`;
    for (const F of live) {
      if (F === L) continue;
      const fi = F.conn.getConnectionInfo();
      if (fi.mode !== 'follower' || fi.leaderId !== L.core.id || !fi.receiving) {
        return `${F.core.id}: mode ${fi.mode}, leader ${fi.leaderId ?? 'none'}, leaderStatus ${fi.leaderStatus ?? 'none'} (actual leader ${L.core.id})`;
      }
    }
    return undefined;
  };

  const runUntil = async (until: number, each?: () => boolean): Promise<void> => {
    while (await kernel.step(until)) {
      checkStep();
      if (each && each()) return;
    }
    checkStep();
  };

  // Background traffic: the server publishes every 0.5–4 s for the whole run.
  const period = between(500, 4000);
  let publishing = true;
  const tick = (): void => {
    if (!publishing) return;
    server.publish();
    kernel.later(period, tick);
  };
  kernel.later(period, tick);

  // ---- the schedule ------------------------------------------------------------------------
  log(`scenario: ${sc.mode}, ${sc.transport}, Retry-After ${sc.retryAfterSec}s${sc.retryAfterAsDate ? ' (HTTP-date)' : ''}, seed ${sc.seed}, publish every ${period} ms`);
  for (let i = 0; i < sc.initialTabs; i += 1) openTab(false);
  let t = 0;
  for (const a of sc.actions) {
    t += a.dt;
    await runUntil(t);
    apply(a);
  }
  await runUntil(t);

  // ---- quiet: no more faults ----------------------------------------------------------------
  const quietAt = kernel.now;
  server.setExternal(0);
  server.backOnline();
  log('--- quiet: no more faults; the other devices let go; the network is up ---');
  let convergedAt: number | undefined;
  await runUntil(quietAt + BOUNDS.convergeMs, () => {
    if (converged() === undefined) {
      convergedAt = kernel.now;
      return true;
    }
    return false;
  });
  if (convergedAt === undefined) {
    violate('follower-has-leader', `not settled ${BOUNDS.convergeMs / 1000}s after the schedule went quiet: ${converged() ?? ''}`);
  } else log(`settled after ${((convergedAt - quietAt) / 1000).toFixed(3)} s of quiet`);

  // A few last messages; then (a fault just before the quiet may still be playing out, e.g. a
  // network drop the leader notices now) settled again, within the same bound; then every
  // running tab must have everything since it joined.
  publishing = false;
  for (let i = 0; i < 3; i += 1) kernel.later(500 * (i + 1), () => server.publish());
  await runUntil(kernel.now + 5000);
  if (convergedAt !== undefined) {
    let again = converged() === undefined;
    if (!again) {
      await runUntil(quietAt + BOUNDS.convergeMs, () => converged() === undefined);
      again = converged() === undefined;
      if (again) convergedAt = kernel.now;
    }
    if (!again) violate('follower-has-leader', `settled, then not settled again within ${BOUNDS.convergeMs / 1000}s of quiet: ${converged() ?? ''}`);
    await runUntil(kernel.now + 2000); // the relays of the last messages
  }
  const last = server.lastId;
  for (const x of tabs) {
    if (x.core.state !== 'running') continue;
    const from = x.baseline + 1;
    const missing: number[] = [];
    for (let id = from; id <= last; id += 1) if (!x.seen.has(id) && !excused.has(id)) missing.push(id);
    if (missing.length > 0) {
      missing.splice(10);
      violate('exactly-once-in-order', `tab ${x.core.id} should have ${from}..${last}; missing ${missing.join(', ')}${missing.length === 10 ? ', ...' : ''}`);
    }
  }

  return {
    violations,
    trace,
    stats: {
      steps: kernel.steps,
      virtualMs: kernel.now,
      tabsOpened: tabCounter,
      messages: server.lastId,
      refusals: server.refusals,
      accepts: server.accepts,
      steals: locks.steals,
      maxDuplicateMs: maxDup,
      convergeMs: convergedAt !== undefined ? convergedAt - quietAt : -1,
    },
  };
}
