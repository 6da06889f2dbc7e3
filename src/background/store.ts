/**
 * The worker's store: the model, the actions waiting for it to be restored,
 * the write-behind to storage.session and the live feed to panels. No
 * extension API is used here directly (storage and ports come in through
 * small interfaces), so it runs in unit tests and benchmarks as it is.
 */
import type { LogEntry, PanelMessage, Snapshot } from '../shared/protocol';
import { buildSnapshot } from './derive';
import { CORE_KEY, ChunkEncoder, LOG_CHUNK, chunkEntries, chunkOf, encodeCore, logKey, restoreState } from './persist';
import { DEFAULT_RULES, type ProjectKeyRules } from './project-key';
import { reduce, type Action } from './reduce';
import { BOUNDS, emptyState, type State } from './state';

export interface StorageArea {
  get(keys: null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

export interface PanelSink {
  post(message: PanelMessage): void;
}

export interface StoreOptions {
  storage?: StorageArea;
  now?: () => number;
  /** Delay of the write-behind, ms. */
  persistDelayMs?: number;
  /** Delay between panel updates, ms. */
  panelDelayMs?: number;
  rules?: ProjectKeyRules;
  logEntries?: number;
  /** Characters of log chunks kept in storage (the newest chunks that fit). */
  logStorageChars?: number;
}

/**
 * storage.session holds 10 MB in all (strings count by their UTF-8 bytes):
 * the log may hold more than that (16 Mi characters of previews), and a
 * write over the quota fails as a whole, core and acknowledgements with it.
 * So only the newest log chunks that fit this many characters are kept
 * there; the rest stays in memory only. When a write fails all the same
 * (text that is not ASCII takes more bytes than characters), the budget is
 * halved and the write tried again.
 */
export const LOG_STORAGE_CHARS = 7 * 2 ** 20;

/** Log entries per panel message when a panel first subscribes. */
const PANEL_LOG_PAGE = 5000;

export class Store {
  state: State = emptyState();
  readonly ready: Promise<void>;
  rules: ProjectKeyRules;
  logEntries: number;
  private restored = false;
  private queue: Action[] = [];
  private readonly storage: StorageArea | undefined;
  private readonly now: () => number;
  private readonly persistDelayMs: number;
  private readonly panelDelayMs: number;
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  private panelTimer: ReturnType<typeof setTimeout> | null = null;
  private dirtyChunks = new Set<number>();
  private persistedChunks = new Set<number>();
  private readonly chunkEncoder = new ChunkEncoder();
  /** Characters of each log chunk in storage. */
  private chunkChars = new Map<number, number>();
  private logStorageChars: number;
  private writing: Promise<void> = Promise.resolve();
  private panels = new Map<PanelSink, { lastSeq: number }>();
  private logReset = false;
  private persistedListeners = new Set<() => (() => void) | void>();
  persistErrors = 0;

  constructor(options: StoreOptions = {}) {
    this.storage = options.storage;
    this.now = options.now ?? Date.now;
    this.persistDelayMs = options.persistDelayMs ?? 250;
    this.panelDelayMs = options.panelDelayMs ?? 100;
    this.rules = options.rules ?? DEFAULT_RULES;
    this.logEntries = options.logEntries ?? BOUNDS.logEntries;
    this.logStorageChars = options.logStorageChars ?? LOG_STORAGE_CHARS;
    this.ready = this.restore();
  }

  private async restore(): Promise<void> {
    try {
      if (this.storage) {
        const items = await this.storage.get(null);
        this.state = restoreState(items);
        for (const key of Object.keys(items)) {
          if (!key.startsWith('session:log:')) continue;
          const n = Number(key.slice('session:log:'.length));
          this.persistedChunks.add(n);
          const value = items[key];
          this.chunkChars.set(n, typeof value === 'string' ? value.length : (JSON.stringify(value) ?? '').length);
        }
      }
    } catch (error) {
      console.warn('[SSE Connections] could not restore state', error);
    } finally {
      this.restored = true;
      const queued = this.queue;
      this.queue = [];
      for (const a of queued) this.apply(a);
    }
  }

  /** Apply an action now, or as soon as the persisted state is restored. */
  dispatch(action: Action): void {
    if (!this.restored) {
      this.queue.push(action);
      return;
    }
    this.apply(action);
  }

  private apply(action: Action): void {
    const seqBefore = this.state.seq;
    if (action.kind === 'tick') {
      // Time passing changes the model only now and then (a leader span ends,
      // followers become stranded): write only when it did, so an idle
      // worker (or Firefox event page) is left alone.
      const before = tickSignature(this.state);
      this.state = reduce(this.state, action, { rules: this.rules, logEntries: this.logEntries });
      if (tickSignature(this.state) !== before) this.schedulePersist();
      this.schedulePanels();
      return;
    }
    this.state = reduce(this.state, action, { rules: this.rules, logEntries: this.logEntries });
    if (action.kind === 'capture:clear') {
      this.logReset = true;
      this.chunkEncoder.reset();
      for (const n of this.persistedChunks) this.dirtyChunks.add(n);
    }
    // Mark the log chunks the new entries fall in (one look per chunk).
    for (let seq = seqBefore; seq < this.state.seq; seq = (chunkOf(seq) + 1) * LOG_CHUNK) {
      this.dirtyChunks.add(chunkOf(seq));
    }
    this.schedulePersist();
    this.schedulePanels();
  }

  snapshot(): Snapshot {
    return buildSnapshot(this.state, this.now());
  }

  /** Advance time-based parts of the model (leader history, stranded followers). */
  tick(): void {
    this.dispatch({ kind: 'tick', t: this.now() });
  }

  // -------------------------------------------------------------------------
  // Persistence (write-behind, throttled)
  // -------------------------------------------------------------------------

  private schedulePersist(): void {
    if (!this.storage || this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      this.writing = this.writing.then(() => this.persist());
    }, this.persistDelayMs);
  }

  /** Write what changed now. Resolves when it is written. */
  async flush(): Promise<void> {
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = null;
      this.writing = this.writing.then(() => this.persist());
    }
    await this.writing;
  }

  private async persist(): Promise<void> {
    const storage = this.storage;
    if (!storage) return;
    // Listeners note, before the state is serialised, what this write covers.
    const onSuccess = [...this.persistedListeners].map((l) => l());
    const items: Record<string, unknown> = { [CORE_KEY]: encodeCore(this.state) };
    const firstChunk = this.state.log.length > 0 ? chunkOf(this.state.log[0]!.seq) : chunkOf(this.state.seq);
    const stale: string[] = [];
    const written: number[] = [];
    for (const n of this.dirtyChunks) {
      const entries = n >= firstChunk ? chunkEntries(this.state.log, n) : [];
      if (entries.length > 0) {
        const json = this.chunkEncoder.encode(n, entries);
        items[logKey(n)] = json;
        this.persistedChunks.add(n);
        this.chunkChars.set(n, json.length);
        written.push(n);
      } else if (this.persistedChunks.has(n)) {
        stale.push(logKey(n));
        this.forgetChunk(n);
      }
    }
    for (const n of this.persistedChunks) {
      if (n < firstChunk) {
        stale.push(logKey(n));
        this.forgetChunk(n);
      }
    }
    this.dirtyChunks.clear();
    // Over the budget: the oldest chunks leave storage (first, to make room), the newest always stays.
    const overBudget: string[] = [];
    let chars = 0;
    for (const n of this.persistedChunks) chars += this.chunkChars.get(n) ?? 0;
    if (chars > this.logStorageChars) {
      const kept = [...this.persistedChunks].sort((a, b) => a - b);
      for (let i = 0; i < kept.length - 1 && chars > this.logStorageChars; i++) {
        const n = kept[i]!;
        chars -= this.chunkChars.get(n) ?? 0;
        delete items[logKey(n)];
        overBudget.push(logKey(n));
        this.forgetChunk(n);
      }
    }
    try {
      if (overBudget.length > 0) await storage.remove(overBudget);
      // The log chunks first, in writes of a few hundred KB (the extension
      // API's cost per byte grows with the size of one write), then the core:
      // a worker stopped in between restores the old core, and restoreState
      // leaves out the entries it does not cover.
      const { [CORE_KEY]: core, ...chunks } = items;
      await Promise.all(writeGroups(chunks).map((group) => storage.set(group)));
      await storage.set({ [CORE_KEY]: core });
      if (stale.length > 0) await storage.remove(stale);
      for (const done of onSuccess) done?.();
    } catch (error) {
      // Quota or a closing worker: keep going; what is in memory stays.
      this.persistErrors++;
      console.warn('[SSE Connections] could not persist state', error);
      if (this.persistedChunks.size > 1) {
        // Perhaps the quota: keep less of the log in storage, and write again.
        this.logStorageChars = Math.floor(chars / 2);
        for (const n of written) if (this.persistedChunks.has(n)) this.dirtyChunks.add(n);
        this.schedulePersist();
      }
    }
  }

  private forgetChunk(n: number): void {
    this.persistedChunks.delete(n);
    this.chunkChars.delete(n);
  }

  /**
   * `listener` runs when a write begins (before the state is serialised) and
   * may return a function that runs once that write has succeeded: what was
   * applied before it began is then safe from a worker stop.
   */
  onPersisted(listener: () => (() => void) | void): () => void {
    this.persistedListeners.add(listener);
    return () => this.persistedListeners.delete(listener);
  }

  /** True when a write is configured; without one there is nothing to wait for. */
  get persists(): boolean {
    return this.storage !== undefined;
  }

  // -------------------------------------------------------------------------
  // Live feed to panels: a snapshot, the log, then deltas
  // -------------------------------------------------------------------------

  subscribe(sink: PanelSink): () => void {
    const send = () => {
      sink.post({ kind: 'panel:snapshot', snapshot: this.snapshot() });
      sendLog(sink, this.state.log, true);
      this.panels.set(sink, { lastSeq: this.state.seq - 1 });
    };
    if (this.restored) send();
    else void this.ready.then(send);
    return () => this.panels.delete(sink);
  }

  private schedulePanels(): void {
    if (this.panels.size === 0 || this.panelTimer) return;
    this.panelTimer = setTimeout(() => {
      this.panelTimer = null;
      this.pushToPanels();
    }, this.panelDelayMs);
  }

  private pushToPanels(): void {
    const snapshot = this.snapshot();
    const reset = this.logReset;
    this.logReset = false;
    for (const [sink, cursor] of this.panels) {
      try {
        sink.post({ kind: 'panel:snapshot', snapshot });
        const fresh = reset ? this.state.log : entriesAfter(this.state.log, cursor.lastSeq);
        if (reset || fresh.length > 0) sendLog(sink, fresh, reset);
        cursor.lastSeq = this.state.seq - 1;
      } catch {
        this.panels.delete(sink);
      }
    }
  }
}

/** Characters per storage write of log chunks (a chunk larger than this goes alone). */
const WRITE_CHARS = 256 * 1024;

/** Items (string values) in groups of at most WRITE_CHARS characters. */
export function writeGroups(items: Record<string, unknown>): Record<string, unknown>[] {
  const groups: Record<string, unknown>[] = [];
  let group: Record<string, unknown> = {};
  let chars = 0;
  for (const [key, value] of Object.entries(items)) {
    const n = typeof value === 'string' ? value.length : 0;
    if (chars > 0 && chars + n > WRITE_CHARS) {
      groups.push(group);
      group = {};
      chars = 0;
    }
    group[key] = value;
    chars += n;
  }
  if (Object.keys(group).length > 0) groups.push(group);
  return groups;
}

function sendLog(sink: PanelSink, entries: readonly LogEntry[], reset: boolean): void {
  if (entries.length === 0) {
    if (reset) sink.post({ kind: 'panel:log', entries: [], reset: true });
    return;
  }
  for (let i = 0; i < entries.length; i += PANEL_LOG_PAGE) {
    sink.post({ kind: 'panel:log', entries: entries.slice(i, i + PANEL_LOG_PAGE), reset: reset && i === 0 });
  }
}

function tickSignature(state: State): string {
  return JSON.stringify([state.pendingNet.length, [...state.projects]]);
}

/** Entries with seq > after (the log is ordered by seq). */
export function entriesAfter(log: readonly LogEntry[], after: number): LogEntry[] {
  let a = 0;
  let b = log.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if ((log[mid]?.seq ?? 0) <= after) a = mid + 1;
    else b = mid;
  }
  return log.slice(a);
}
