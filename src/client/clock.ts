/**
 * Time as the client sees it: the wall clock and the page's timers. Injectable so that the
 * deterministic simulation (tests/sim) can run the real client on a virtual clock with
 * per-tab timers (hidden-tab throttling, frozen tabs). The default reads the globals at
 * call time, so fake timers installed later (vi.useFakeTimers) still apply.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};
