/**
 * Deliberately broken variants of the client (and one of the server), to prove that each
 * invariant catches what it is meant to catch: a check that passes a broken client is worthless.
 * Each mutant patches a prototype and returns the function that undoes it.
 */
import { PersistentChatConnection } from '../../src/client/connection.js';
import { BroadcastElection } from '../../src/client/election/broadcast-election.js';
import { LockElection } from '../../src/client/election/lock-election.js';
import type { InvariantName } from './run.js';
import type { Scenario } from './schedule.js';
import { SimServer } from './server.js';

type Fn = (this: Record<string, unknown>, ...args: unknown[]) => unknown;
type Proto = Record<string, Fn>;

function patch(proto: object, name: string, make: (orig: Fn) => Fn): () => void {
  const p = proto as Proto;
  const orig = p[name];
  if (typeof orig !== 'function') throw new Error(`no method ${name} to patch`);
  p[name] = make(orig);
  return () => {
    p[name] = orig;
  };
}

export interface Mutant {
  name: string;
  /** what is broken, in words */
  what: string;
  /** the invariant that must catch it */
  invariant: InvariantName;
  apply(): () => void;
  /** schedules on which it must be caught (and on which the real client passes) */
  scenarios: Scenario[];
}

const base = { seed: 7, retryAfterSec: 10, retryAfterAsDate: false, transport: 'eventsource' as const };
/** the leader (the first tab) stalls for a while, then runs again */
const stallLeader = (mode: Scenario['mode']): Scenario => ({
  ...base,
  mode,
  initialTabs: 3,
  actions: [
    { dt: 2000, k: 'stall', tab: -1 },
    { dt: 20_000, k: 'unstall', tab: 0 },
    { dt: 5000, k: 'publish', n: 2 },
  ],
});
/** the leader stalls and stays stalled */
const leaderHangs = (mode: Scenario['mode']): Scenario => ({
  ...base,
  mode,
  initialTabs: 3,
  actions: [
    { dt: 2000, k: 'stall', tab: -1 },
    { dt: 20_000, k: 'publish', n: 2 },
  ],
});
/** the user's other devices hold every slot for 30 s: 429s with Retry-After 10 s */
const limitReached = (mode: Scenario['mode']): Scenario => ({
  ...base,
  mode,
  transport: 'fetch',
  initialTabs: 2,
  actions: [
    { dt: 0, k: 'external', n: 5 },
    { dt: 30_000, k: 'external', n: 0 },
  ],
});
const plain = (mode: Scenario['mode']): Scenario => ({ ...base, mode, initialTabs: 3, actions: [{ dt: 10_000, k: 'publish', n: 3 }] });

export const MUTANTS: Mutant[] = [
  {
    name: 'every-tab-leads',
    what: 'LockElection.start() takes the lead without the lock',
    invariant: 'single-leader',
    apply() {
      const a = patch(LockElection.prototype, 'start', () =>
        function (this: Record<string, unknown>) {
          this['running'] = true;
          const gen = (this['generation'] as number) + 1;
          this['generation'] = gen;
          return (this['hold'] as Fn).call(this, { gen });
        },
      );
      return a;
    },
    scenarios: [plain('locks')],
  },
  {
    name: 'deposed-leader-keeps-stream',
    what: 'a leader that steps down does not close its stream',
    invariant: 'single-leader',
    apply: () =>
      patch(PersistentChatConnection.prototype, 'stopLeading', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          this['stream'] = undefined; // forget it instead of closing it
          this['connecting'] = undefined;
          return orig.apply(this, args);
        },
      ),
    scenarios: [stallLeader('locks')],
  },
  {
    name: 'slow-handover',
    what: 'a leader that steps down closes its stream 1 s later (longer than the handover window)',
    invariant: 'single-leader',
    apply: () =>
      patch(PersistentChatConnection.prototype, 'stopLeading', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          const s = this['stream'] as { close(): void } | undefined;
          const clock = this['clock'] as { setTimeout(f: () => void, ms: number): unknown };
          this['stream'] = undefined;
          this['connecting'] = undefined;
          if (s) clock.setTimeout(() => s.close(), 1000);
          return orig.apply(this, args);
        },
      ),
    scenarios: [stallLeader('locks')],
  },
  {
    name: 'fallback-keeps-duplicates',
    what: 'the BroadcastChannel election never resolves two leaders (a leader ignores the other\'s heartbeat)',
    invariant: 'single-leader',
    apply: () =>
      patch(BroadcastElection.prototype, 'onMessage', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          const m = args[0] as { t?: string };
          if (this['leading'] === true && m.t === 'hb') return undefined;
          return orig.apply(this, args);
        },
      ),
    scenarios: [stallLeader('broadcast')],
  },
  {
    name: 'no-takeover',
    what: 'the follower watchdog never takes over from a silent leader',
    invariant: 'follower-has-leader',
    apply: () => patch(LockElection.prototype, 'takeOver', () => () => undefined),
    scenarios: [leaderHangs('locks')],
  },
  {
    name: 'fallback-never-claims',
    what: 'the BroadcastChannel election never claims leadership',
    invariant: 'follower-has-leader',
    apply: () => patch(BroadcastElection.prototype, 'scheduleClaim', () => () => undefined),
    scenarios: [leaderHangs('broadcast')],
  },
  {
    name: 'follower-delivers-every-relay',
    what: 'a follower delivers every relayed message, without deduplication or order checks',
    invariant: 'exactly-once-in-order',
    apply: () =>
      patch(PersistentChatConnection.prototype, 'onChannelMessage', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          const m = args[0] as { type: string; id?: string; event: string; raw: string };
          if (m.type === 'sse-message' && this['mode'] !== 'leader') {
            (this['deliver'] as Fn).call(this, m.id, m.event, m.raw, m.raw, 'relay', true);
            return undefined;
          }
          return orig.apply(this, args);
        },
      ),
    scenarios: [stallLeader('locks'), stallLeader('broadcast')],
  },
  {
    name: 'fresh-stream-on-takeover',
    what: 'a new leader forgets where the stream was and starts it fresh',
    invariant: 'exactly-once-in-order',
    apply: () =>
      patch(PersistentChatConnection.prototype, 'openStream', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          this['lastEventId'] = undefined;
          return orig.apply(this, args);
        },
      ),
    scenarios: [leaderHangs('locks'), leaderHangs('broadcast')],
  },
  {
    name: 'ignores-retry-after',
    what: 'the leader backs off as if a 429 carried no Retry-After (and forgets any it learnt)',
    invariant: 'retry-after',
    apply() {
      const a = patch(PersistentChatConnection.prototype, 'scheduleRetry', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          return orig.call(this, args[0], undefined, args[2]);
        },
      );
      const b = patch(PersistentChatConnection.prototype, 'openStream', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          this['notBefore'] = undefined;
          return orig.apply(this, args);
        },
      );
      return () => {
        a();
        b();
      };
    },
    scenarios: [limitReached('locks'), limitReached('broadcast')],
  },
  {
    name: 'server-admits-over-limit',
    what: 'the simulated server admits one stream over its limit (checks the checker and the server model)',
    invariant: 'server-limit',
    apply: () =>
      patch(SimServer.prototype, 'count', (orig) =>
        function (this: Record<string, unknown>, ...args: unknown[]) {
          // admission sees one stream fewer than there is (the invariant counts for itself)
          return (orig.apply(this, args) as number) - 1;
        },
      ),
    scenarios: [limitReached('locks')],
  },
];
