/**
 * A run of the simulation is a pure function of a Scenario: the election mode, the transport,
 * the server's Retry-After, a seed for everything drawn inside the run (latencies, the
 * client's own randomness, the message rate) and a schedule of faults. Scenarios are drawn
 * by fast-check, which also shrinks a failing one.
 */
import fc from 'fast-check';

export type Mode = 'locks' | 'broadcast';
export type Transport = 'eventsource' | 'fetch';

/**
 * A fault or user action, `dt` ms after the previous one. `tab` picks among eligible tabs
 * (modulo); -1, in hand-written schedules, means the tab that leads at that moment.
 */
export type Action =
  | { dt: number; k: 'open'; hidden: boolean }
  | { dt: number; k: 'close' | 'crash' | 'stall' | 'unstall' | 'freeze' | 'resume' | 'show'; tab: number }
  | { dt: number; k: 'hide'; tab: number; longAgo: boolean }
  | { dt: number; k: 'offline'; ms: number }
  | { dt: number; k: 'restart' }
  | { dt: number; k: 'external'; n: number }
  | { dt: number; k: 'publish'; n: number };

export interface Scenario {
  mode: Mode;
  transport: Transport;
  seed: number;
  retryAfterSec: number;
  retryAfterAsDate: boolean;
  /** tabs opened together at t = 0 */
  initialTabs: number;
  actions: Action[];
}

const dt = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 500 }) },
  { weight: 5, arbitrary: fc.integer({ min: 500, max: 15_000 }) },
);
const tab = fc.nat({ max: 7 });

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ dt, k: fc.constant('open' as const), hidden: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('close' as const), tab }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('crash' as const), tab }) },
  { weight: 3, arbitrary: fc.record({ dt, k: fc.constant('stall' as const), tab }) },
  { weight: 3, arbitrary: fc.record({ dt, k: fc.constant('unstall' as const), tab }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('freeze' as const), tab }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('resume' as const), tab }) },
  { weight: 3, arbitrary: fc.record({ dt, k: fc.constant('hide' as const), tab, longAgo: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('show' as const), tab }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('offline' as const), ms: fc.integer({ min: 100, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.record({ dt, k: fc.constant('restart' as const) }) },
  { weight: 3, arbitrary: fc.record({ dt, k: fc.constant('external' as const), n: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ dt, k: fc.constant('publish' as const), n: fc.integer({ min: 1, max: 5 }) }) },
);

export function scenarioArb(mode: Mode): fc.Arbitrary<Scenario> {
  return fc.record({
    mode: fc.constant(mode),
    transport: fc.constantFrom<Transport>('eventsource', 'fetch'),
    seed: fc.nat(),
    retryAfterSec: fc.integer({ min: 1, max: 20 }),
    retryAfterAsDate: fc.boolean(),
    initialTabs: fc.integer({ min: 1, max: 4 }),
    actions: fc.array(actionArb, { minLength: 5, maxLength: 60, size: 'large' }),
  });
}

export function describeAction(a: Action): string {
  return describeRaw(a).replace('tab #-1', 'the leader').replace('#-1', 'the leader');
}

function describeRaw(a: Action): string {
  switch (a.k) {
    case 'open':
      return `open a tab${a.hidden ? ' in the background' : ''}`;
    case 'hide':
      return `hide tab #${a.tab}${a.longAgo ? ' (hidden > 5 min: intensive throttling)' : ''}`;
    case 'offline':
      return `network down for ${a.ms} ms`;
    case 'restart':
      return 'server restart (every stream ends)';
    case 'external':
      return `user's other devices hold ${a.n} streams`;
    case 'publish':
      return `server publishes ${a.n} messages`;
    case 'stall':
      return `tab #${a.tab} stalls (no lifecycle event, keeps its lock and stream)`;
    case 'unstall':
      return `stalled tab #${a.tab} runs again`;
    case 'freeze':
      return `tab #${a.tab} frozen (freeze event)`;
    case 'resume':
      return `frozen tab #${a.tab} resumed`;
    case 'crash':
      return `tab #${a.tab} crashes (no unload)`;
    case 'close':
      return `tab #${a.tab} closed (pagehide)`;
    case 'show':
      return `show tab #${a.tab}`;
  }
}
