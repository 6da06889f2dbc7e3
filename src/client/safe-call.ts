/** Calls every handler; one that throws is reported and does not stop the others. */
export function callAll<A extends unknown[]>(handlers: Iterable<(...args: A) => void>, args: A, report: (err: unknown) => void): void {
  for (const h of handlers) {
    try {
      h(...args);
    } catch (err) {
      try {
        report(err);
      } catch {
        // a broken reporter must not stop the relay either
      }
    }
  }
}

/** Reports an error like an uncaught one (visible in the console) without throwing. */
export function reportError(err: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (typeof g.reportError === 'function') g.reportError(err);
  else console.error(err);
}
