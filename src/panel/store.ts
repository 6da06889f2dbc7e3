/**
 * The panel's state: signals fed by the worker's port. Every message from
 * the worker goes through one pure function, `applyMessage`; messages are
 * queued and applied in one batch per animation frame, so a burst of
 * updates renders once. The log arrives newest first (`feed:head`, then
 * older chunks the panel asks for, see `src/shared/panel-feed.ts`): at most
 * OLDER_PER_FRAME older entries are applied per frame, so loading never
 * blocks one.
 */
import { batch, computed, signal } from '@preact/signals';
import { assertNever, type FeedMessage, type FeedRequest, type LogEntry, type Snapshot } from '../shared/protocol';
import { appendLog, emptyLogView, logSize, prependLog, replaceLog, type LogView } from './model/log-view';
import { perf } from './perf';

export interface Navigation {
  /** Sequence number of the `doc:gone` entry of the replaced top-level document. */
  seq: number;
  t: number;
}

export interface PanelData {
  snapshot: Snapshot | null;
  log: LogView;
  /** Per tab, the last top-level navigation seen in the log (for "preserve log" off). */
  navigations: ReadonlyMap<number, Navigation>;
  /** Older entries of the capture still to come from the worker (0: the log is whole). */
  older: number;
  /** The load the older entries belong to (`feed:head`'s `load`). */
  load: number;
}

/** Most log entries the panel keeps (the worker keeps its own bound). */
export const PANEL_LOG_LIMIT = 200_000;

export const emptyPanelData = (): PanelData => ({ snapshot: null, log: emptyLogView(), navigations: new Map(), older: 0, load: 0 });

/** The last top-level navigation per tab: the newest `doc:gone` wins, whichever order entries come in. */
function trackNavigations(previous: ReadonlyMap<number, Navigation>, entries: readonly LogEntry[]): ReadonlyMap<number, Navigation> {
  let next: Map<number, Navigation> | null = null;
  for (const e of entries) {
    if (e.kind !== 'doc:gone' || e.frameId !== 0) continue;
    const known = (next ?? previous).get(e.tabId);
    if (known && known.seq >= e.seq) continue;
    next ??= new Map(previous);
    next.set(e.tabId, { seq: e.seq, t: e.t });
  }
  return next ?? previous;
}

export function applyMessage(data: PanelData, message: FeedMessage, limit = PANEL_LOG_LIMIT): PanelData {
  switch (message.kind) {
    case 'panel:snapshot':
      return { ...data, snapshot: message.snapshot };
    case 'panel:log':
      if (message.reset) {
        return { ...data, log: replaceLog(data.log, message.entries, limit), navigations: trackNavigations(new Map(), message.entries), older: 0, load: 0 };
      }
      if (message.entries.length === 0) return data;
      return { ...data, log: appendLog(data.log, message.entries, limit), navigations: trackNavigations(data.navigations, message.entries) };
    case 'feed:head':
      return {
        ...data,
        log: replaceLog(data.log, message.entries, limit, message.older, message.older),
        navigations: trackNavigations(new Map(), message.entries),
        older: message.older,
        load: message.load,
      };
    case 'feed:older': {
      if (message.load !== data.load || data.older === 0) return data;
      const log = prependLog(data.log, message.entries, limit);
      // Past the panel's bound nothing older is kept: the load is over.
      const full = logSize(log) >= limit;
      return {
        ...data,
        log,
        navigations: trackNavigations(data.navigations, message.entries),
        older: full ? 0 : Math.min(data.older, message.remaining),
      };
    }
    default:
      return assertNever(message);
  }
}

/** A capture loaded from a file, shown instead of the live data. */
export interface ImportedCapture {
  fileName: string;
  data: PanelData;
}

const PRESERVE_KEY = 'sse-connections:preserve-log';

function loadPreserve(): boolean {
  try {
    return globalThis.localStorage?.getItem(PRESERVE_KEY) === '1';
  } catch {
    return false;
  }
}

/** Shortest time between two batches of worker messages, ms. */
export const MIN_FLUSH_MS = 200;

/** Most older entries applied in one frame while the log loads (a chunk is 4,000). */
export const OLDER_PER_FRAME = 10_000;

export interface PanelStoreOptions {
  minFlushMs?: number;
  olderPerFrame?: number;
  /** Runs `fn` once what was just rendered is on screen (default: the next frame, then a task). */
  afterPaint?: (fn: () => void) => void;
}

function afterNextPaint(fn: () => void): void {
  const raf = globalThis.requestAnimationFrame;
  if (!raf) {
    setTimeout(fn, 0);
    return;
  }
  // A hidden panel gets no frames.
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  const timer = setTimeout(once, 100);
  raf(() => {
    clearTimeout(timer);
    setTimeout(once, 0);
  });
}

export function createPanelStore(tabId: number | null, options: PanelStoreOptions = {}) {
  const minFlushMs = options.minFlushMs ?? MIN_FLUSH_MS;
  const olderPerFrame = options.olderPerFrame ?? OLDER_PER_FRAME;
  const afterPaint = options.afterPaint ?? afterNextPaint;
  const live = signal<PanelData>(emptyPanelData());
  const imported = signal<ImportedCapture | null>(null);
  const connected = signal(false);
  /** Log entries are kept (record on) or dropped as they come (record off). */
  const recording = signal(true);
  /** The log view is frozen; entries keep arriving underneath. */
  const paused = signal(false);
  const frozenLog = signal<LogView | null>(null);
  const preserveLog = signal(loadPreserve());
  /** The tab the views are about: the inspected tab, or one picked in an imported capture. */
  const focusTabId = signal<number | null>(tabId);
  const now = signal(Date.now());

  const data = computed(() => imported.value?.data ?? live.value);
  /** Older entries of the live capture still loading (a number, so it changes only with the load). */
  const olderPending = computed(() => live.value.older);
  const snapshot = computed(() => data.value.snapshot);
  const log = computed(() => (paused.value && frozenLog.value ? frozenLog.value : data.value.log));
  /** The focused tab's last navigation, when "preserve log" is off. A primitive, so filters only change on navigation. */
  const hideUpToSeq = computed(() => {
    const t = focusTabId.value;
    // An imported capture is shown whole: it is a record, not a live tab.
    if (preserveLog.value || t === null || imported.value !== null) return null;
    return data.value.navigations.get(t)?.seq ?? null;
  });
  const hideBeforeTime = computed(() => {
    const t = focusTabId.value;
    if (preserveLog.value || t === null || imported.value !== null) return null;
    return data.value.navigations.get(t)?.t ?? null;
  });
  /** Connections of the focused tab (closed ones from before its last navigation hidden unless the log is preserved). */
  const tabConnections = computed(() => {
    const t = focusTabId.value;
    const cut = hideBeforeTime.value;
    return (snapshot.value?.connections ?? []).filter(
      (c) => (t === null || c.tabId === t) && !(cut !== null && c.state === 'closed' && c.closedAt !== null && c.closedAt <= cut),
    );
  });

  let queue: FeedMessage[] = [];
  let scheduled: 'soon' | 'frame' | null = null;
  let waitTimer: ReturnType<typeof setTimeout> | undefined;
  let lastFlushAt = 0;
  let request: ((message: FeedRequest) => void) | null = null;
  const flush = (all = true) => {
    scheduled = null;
    clearTimeout(waitTimer);
    lastFlushAt = Date.now();
    let messages = queue;
    queue = [];
    if (!all) {
      // Older entries up to a budget per frame (at least one chunk); later chunks wait for the next.
      let budget = olderPerFrame;
      const later: FeedMessage[] = [];
      messages = messages.filter((m) => {
        if (m.kind !== 'feed:older') return true;
        if (budget <= 0) {
          later.push(m);
          return false;
        }
        budget -= m.entries.length;
        return true;
      });
      queue = later;
    }
    if (messages.length > 0) {
      const t0 = performance.now();
      batch(() => {
        let d = live.value;
        for (const m of messages) {
          if (m.kind === 'panel:log' && !m.reset && !recording.value) continue;
          d = applyMessage(d, m);
          if (m.kind === 'feed:head' && m.older > 0) headToFollow = m.load;
        }
        live.value = d;
        now.value = Date.now();
      });
      perf.recordFlush(messages.length, performance.now() - t0);
      if (headToFollow !== 0) {
        // Older entries are asked for once the newest are on screen: their
        // messages would otherwise be parsed before the first rows are painted.
        // Two in flight; each chunk that arrives asks for the next.
        const load = headToFollow;
        headToFollow = 0;
        afterPaint(() => {
          if (live.value.load !== load || live.value.older === 0) return;
          request?.({ kind: 'feed:more', load });
          request?.({ kind: 'feed:more', load });
        });
      }
      if (live.value.older === 0 && live.value.load !== 0 && loadedMarked !== live.value.load) {
        loadedMarked = live.value.load;
        perf.recordLoaded(logSize(live.value.log));
      }
    }
    if (queue.length > 0) schedule(true);
  };
  let loadedMarked = 0;
  let headToFollow = 0;
  const onFrame = () => {
    const raf = globalThis.requestAnimationFrame;
    if (!raf) {
      waitTimer = setTimeout(() => flush(false), 0);
      return;
    }
    // A hidden panel gets no frames.
    waitTimer = setTimeout(() => flush(false), 100);
    raf(() => {
      if (scheduled === 'frame') flush(false);
    });
  };
  const schedule = (urgent: boolean) => {
    if (scheduled === 'frame') return;
    if (scheduled === 'soon' && !urgent) return;
    clearTimeout(waitTimer);
    // At most one batch per minFlushMs: a fast stream renders a few times a
    // second, not on every port message. The log's loading goes at frame
    // rate. Then on an animation frame, with a timeout because a hidden
    // panel gets no frames.
    const wait = urgent ? 0 : Math.max(0, lastFlushAt + minFlushMs - Date.now());
    if (wait === 0) {
      scheduled = 'frame';
      onFrame();
      return;
    }
    scheduled = 'soon';
    waitTimer = setTimeout(() => {
      scheduled = 'frame';
      onFrame();
    }, wait);
  };
  const loaded = (): Promise<void> =>
    new Promise((resolve) => {
      const stop = live.subscribe((d) => {
        if (d.older > 0) return;
        queueMicrotask(() => stop());
        resolve();
      });
    });

  return {
    tabId,
    live,
    imported,
    data,
    olderPending,
    connected,
    recording,
    paused,
    frozenLog,
    preserveLog,
    focusTabId,
    now,
    snapshot,
    log,
    hideUpToSeq,
    tabConnections,
    receive(message: FeedMessage) {
      queue.push(message);
      // Ask for the next older chunk at once: it travels while this one waits
      // for its frame (the worker ignores asks past the end).
      if (message.kind === 'feed:older' && message.remaining > 0) request?.({ kind: 'feed:more', load: message.load });
      schedule(message.kind === 'feed:head' || message.kind === 'feed:older');
    },
    /** Where requests to the worker go (the port); null when there is none. */
    setRequest(fn: ((message: FeedRequest) => void) | null) {
      request = fn;
    },
    /** Apply every queued message now (tests, and before an export). */
    flush: () => flush(true),
    /** Resolves when the live log holds the whole capture (no older entries still to come). */
    loaded,
    setPaused(on: boolean) {
      batch(() => {
        frozenLog.value = on ? data.value.log : null;
        paused.value = on;
      });
    },
    setPreserveLog(on: boolean) {
      preserveLog.value = on;
      try {
        globalThis.localStorage?.setItem(PRESERVE_KEY, on ? '1' : '0');
      } catch {
        // Storage may be unavailable; the setting then lasts for this session.
      }
    },
  };
}

export type PanelStore = ReturnType<typeof createPanelStore>;
