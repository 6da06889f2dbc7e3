/**
 * The panel's state: signals fed by the worker's port. Every message from
 * the worker goes through one pure function, `applyMessage`; messages are
 * queued and applied in one batch per animation frame, so a burst of
 * updates renders once.
 */
import { batch, computed, signal } from '@preact/signals';
import type { LogEntry, PanelMessage, Snapshot } from '../shared/protocol';
import { assertNever } from '../shared/protocol';
import { appendLog, emptyLogView, replaceLog, type LogView } from './model/log-view';
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
}

/** Most log entries the panel keeps (the worker keeps its own bound). */
export const PANEL_LOG_LIMIT = 200_000;

export const emptyPanelData = (): PanelData => ({ snapshot: null, log: emptyLogView(), navigations: new Map() });

function trackNavigations(previous: ReadonlyMap<number, Navigation>, entries: readonly LogEntry[]): ReadonlyMap<number, Navigation> {
  let next: Map<number, Navigation> | null = null;
  for (const e of entries) {
    if (e.kind !== 'doc:gone' || e.frameId !== 0) continue;
    next ??= new Map(previous);
    next.set(e.tabId, { seq: e.seq, t: e.t });
  }
  return next ?? previous;
}

export function applyMessage(data: PanelData, message: PanelMessage, limit = PANEL_LOG_LIMIT): PanelData {
  switch (message.kind) {
    case 'panel:snapshot':
      return { ...data, snapshot: message.snapshot };
    case 'panel:log':
      if (message.reset) {
        return { ...data, log: replaceLog(data.log, message.entries, limit), navigations: trackNavigations(new Map(), message.entries) };
      }
      if (message.entries.length === 0) return data;
      return { ...data, log: appendLog(data.log, message.entries, limit), navigations: trackNavigations(data.navigations, message.entries) };
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

export function createPanelStore(tabId: number | null, minFlushMs = MIN_FLUSH_MS) {
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

  let queue: PanelMessage[] = [];
  let scheduled = false;
  let lastFlushAt = 0;
  const flush = () => {
    scheduled = false;
    lastFlushAt = Date.now();
    const messages = queue;
    queue = [];
    if (messages.length === 0) return;
    const t0 = performance.now();
    batch(() => {
      let d = live.value;
      for (const m of messages) {
        if (m.kind === 'panel:log' && !m.reset && !recording.value) continue;
        d = applyMessage(d, m);
      }
      live.value = d;
      now.value = Date.now();
    });
    perf.recordFlush(messages.length, performance.now() - t0);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // At most one batch per minFlushMs: a fast stream renders a few times a
    // second, not on every port message. Then on an animation frame, with a
    // timeout because a hidden panel gets no frames.
    const wait = Math.max(0, lastFlushAt + minFlushMs - Date.now());
    setTimeout(() => {
      const raf = globalThis.requestAnimationFrame;
      if (!raf) {
        flush();
        return;
      }
      const timer = setTimeout(flush, 100);
      raf(() => {
        clearTimeout(timer);
        flush();
      });
    }, wait);
  };

  return {
    tabId,
    live,
    imported,
    data,
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
    receive(message: PanelMessage) {
      queue.push(message);
      schedule();
    },
    /** Apply queued messages now (tests, and before an export). */
    flush,
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
