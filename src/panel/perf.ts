/**
 * Counters for benchmarks and tests, exposed as `window.__panelPerf`. They
 * only measure; nothing reads them to decide anything.
 */
export const perf = {
  /** Batches of worker messages applied, and the messages in them. */
  flushes: 0,
  messages: 0,
  lastFlushMs: 0,
  maxFlushMs: 0,
  /** Last filter index update: entries scanned and time taken. */
  lastFilterMs: 0,
  lastFilterScanned: 0,
  /** Full rescans of the log (filter or log replaced). */
  rescans: 0,
  /** Entries in the log shown and in the filtered list. */
  logSize: 0,
  shownRows: 0,
  recordFlush(messages: number, ms: number) {
    this.flushes++;
    this.messages += messages;
    this.lastFlushMs = ms;
    if (ms > this.maxFlushMs) this.maxFlushMs = ms;
    performance.mark?.('sse-panel:flush', { detail: { messages, ms } });
  },
  /** When the live log last became whole (the older entries of a load all applied). */
  loadedAt: 0,
  loadedEntries: 0,
  recordLoaded(entries: number) {
    this.loadedAt = performance.now();
    this.loadedEntries = entries;
    performance.mark?.('sse-panel:loaded', { detail: { entries } });
  },
  /** Last import: parse and validate, then build the log. */
  lastImportMs: 0,
  recordImport(events: number, ms: number) {
    this.lastImportMs = ms;
    performance.mark?.('sse-panel:import', { detail: { events, ms } });
  },
  recordFilter(scanned: number, ms: number, rescan: boolean) {
    this.lastFilterMs = ms;
    this.lastFilterScanned = scanned;
    if (rescan) this.rescans++;
    performance.mark?.('sse-panel:filter', { detail: { scanned, ms, rescan } });
  },
};
