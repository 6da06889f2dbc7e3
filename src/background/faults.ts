/**
 * Fault injection: the worker's list of active faults (the source of truth),
 * what each document is told about them, and how they end. Pure: no
 * extension API here, so it is unit-tested in Node (`tests/unit/faults`).
 * The wiring (runtime messages, relay pushes, panel ports) is in
 * `faults-wire.ts`; the page side is `src/content/faults.ts`.
 *
 * Nothing is injected unless a person asked for it: a fault only comes into
 * being through `add()` (the panel's `fault:add`), and it ends
 * - refuse: when its attempts are used up;
 * - drop / end: once applied (or after `ONE_SHOT_TTL_MS` if no document had it);
 * - hold: when its time is over;
 * - any: when cleared, or (unless pinned) when the last panel of its tab closes.
 */
import type { FaultSpec, PageFault, SnapshotFault } from '../shared/protocol';

/** A one-shot fault (drop, end) that no document applied goes away after this. */
export const ONE_SHOT_TTL_MS = 10_000;

export const REFUSE_DEFAULTS = { count: 1, retryAfterSec: 10, limit: 5, current: 5 } as const;

interface FaultRecord extends SnapshotFault {
  /** Refuse hits received per document (so a page does not count its own hits twice). */
  hitsByDoc: Map<string, number>;
}

export interface FaultsOptions {
  now?: () => number;
  newId?: () => string;
}

export type AddResult = { ok: true; fault: SnapshotFault } | { ok: false; error: string };

/** Parse a connection id of the snapshot (`<tabId>.<docId first 8>.<page id>`). */
export function parseConnectionId(id: string): { tabId: number; docPrefix: string; conn: number } | null {
  const m = /^(\d+)\.([0-9a-f-]{1,8})\.(\d+)$/i.exec(id);
  if (!m) return null;
  const tabId = Number(m[1]);
  const conn = Number(m[3]);
  if (!Number.isSafeInteger(tabId) || !Number.isSafeInteger(conn)) return null;
  return { tabId, docPrefix: m[2] as string, conn };
}

export function describe(f: Pick<SnapshotFault, 'kind' | 'scope' | 'projectKey' | 'tabId' | 'connectionId' | 'remaining' | 'retryAfterSec' | 'durationMs' | 'delayMs'>): string {
  const where = f.scope === 'project' ? `project ${f.projectKey ?? '?'}` : `tab ${f.tabId}`;
  switch (f.kind) {
    case 'refuse':
      return `refusing the next ${f.remaining ?? 0} SSE connection attempt(s) of ${where} with 429, Retry-After ${f.retryAfterSec ?? 0} s`;
    case 'drop':
      return `dropping the stream of connection ${f.connectionId ?? '?'} (network error)`;
    case 'end':
      return `ending the stream of connection ${f.connectionId ?? '?'} (closed by the server)`;
    case 'hold':
      return `holding back BroadcastChannel posts and SSE events of ${where} for ${f.durationMs ?? 0} ms`;
    case 'delay':
      return `delaying the events of connection ${f.connectionId ?? '?'} by ${f.delayMs ?? 0} ms`;
  }
}

export class Faults {
  private readonly faults = new Map<string, FaultRecord>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly newId: () => string;
  private lastId = 0;

  constructor(options: FaultsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => `f${Date.now().toString(36)}${(++this.lastId).toString(36)}`);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure must not stop the others.
      }
    }
  }

  add(spec: FaultSpec): AddResult {
    const now = this.now();
    // Only refusals reach across tabs (a project); the others act on this tab or one of its connections.
    const scope = spec.kind === 'refuse' ? spec.scope : 'tab';
    if (scope === 'project' && !spec.projectKey) return { ok: false, error: 'a project-wide fault needs projectKey' };
    let connectionId: string | null = null;
    if (spec.kind === 'drop' || spec.kind === 'end' || spec.kind === 'delay') {
      const parsed = spec.connectionId ? parseConnectionId(spec.connectionId) : null;
      if (!parsed) return { ok: false, error: `${spec.kind} needs the connectionId of a connection` };
      if (parsed.tabId !== spec.tabId) return { ok: false, error: 'that connection is not in this tab' };
      connectionId = spec.connectionId ?? null;
    }
    if (spec.kind === 'hold' && spec.durationMs === undefined) return { ok: false, error: 'hold needs durationMs' };
    if (spec.kind === 'delay' && spec.delayMs === undefined) return { ok: false, error: 'delay needs delayMs' };
    const refuse = spec.kind === 'refuse';
    const base = {
      id: this.newId(),
      kind: spec.kind,
      tabId: spec.tabId,
      scope,
      projectKey: scope === 'project' ? (spec.projectKey ?? null) : null,
      connectionId,
      remaining: refuse ? (spec.count ?? REFUSE_DEFAULTS.count) : null,
      refused: 0,
      retryAfterSec: refuse ? (spec.retryAfterSec ?? REFUSE_DEFAULTS.retryAfterSec) : null,
      limit: refuse ? (spec.limit ?? REFUSE_DEFAULTS.limit) : null,
      current: refuse ? (spec.current ?? spec.limit ?? REFUSE_DEFAULTS.current) : null,
      durationMs: spec.kind === 'hold' ? (spec.durationMs ?? null) : null,
      delayMs: spec.kind === 'delay' ? (spec.delayMs ?? null) : null,
      pinned: spec.pinned,
      createdAt: now,
      endsAt:
        spec.kind === 'hold'
          ? now + (spec.durationMs ?? 0)
          : spec.kind === 'drop' || spec.kind === 'end'
            ? now + ONE_SHOT_TTL_MS
            : null,
    } satisfies Omit<SnapshotFault, 'description'>;
    const record: FaultRecord = { ...base, description: describe(base), hitsByDoc: new Map() };
    this.faults.set(record.id, record);
    this.changed();
    return { ok: true, fault: publicView(record) };
  }

  /** Clear one fault, every fault asked from a tab, or all. Returns how many ended. */
  clear(filter: { id?: string; tabId?: number } = {}): number {
    let n = 0;
    for (const f of [...this.faults.values()]) {
      if (filter.id !== undefined && f.id !== filter.id) continue;
      if (filter.tabId !== undefined && f.tabId !== filter.tabId) continue;
      this.faults.delete(f.id);
      n++;
    }
    if (n > 0) this.changed();
    return n;
  }

  /** The last panel of a tab closed: its faults end, except pinned ones. */
  panelClosed(tabId: number): void {
    let n = 0;
    for (const f of [...this.faults.values()]) {
      if (f.tabId === tabId && !f.pinned) {
        this.faults.delete(f.id);
        n++;
      }
    }
    if (n > 0) this.changed();
  }

  /** A tab closed: faults asked from it for it alone end; pinned project-wide ones stay. */
  tabRemoved(tabId: number): void {
    let n = 0;
    for (const f of [...this.faults.values()]) {
      if (f.tabId === tabId && !(f.pinned && f.scope === 'project')) {
        this.faults.delete(f.id);
        n++;
      }
    }
    if (n > 0) this.changed();
  }

  /** Time passed: holds and unapplied one-shots end. */
  tick(): void {
    const now = this.now();
    let n = 0;
    for (const f of [...this.faults.values()]) {
      if (f.endsAt !== null && now >= f.endsAt) {
        this.faults.delete(f.id);
        n++;
      }
    }
    if (n > 0) this.changed();
  }

  /** A document applied a fault once. */
  hit(tabId: number, docId: string, hit: { id: string; what: string }): void {
    const f = this.faults.get(hit.id);
    if (!f) return;
    if (!this.appliesTo(f, tabId, docId)) return; // a forged or stale hit
    if (f.kind === 'refuse') {
      if (hit.what !== 'eventsource' && hit.what !== 'fetch') return; // a HEAD probe consumes nothing
      f.hitsByDoc.set(docId, (f.hitsByDoc.get(docId) ?? 0) + 1);
      f.refused++;
      f.remaining = Math.max(0, (f.remaining ?? 0) - 1);
      if (f.remaining === 0) this.faults.delete(f.id);
      else f.description = describe(f);
      this.changed();
      return;
    }
    if (f.kind === 'drop' || f.kind === 'end') {
      this.faults.delete(f.id);
      this.changed();
    }
  }

  private appliesTo(f: FaultRecord, tabId: number, docId: string): boolean {
    if (f.scope === 'project') return true; // the page matches URLs to the project itself
    if (f.tabId !== tabId) return false;
    if (f.connectionId !== null) {
      const c = parseConnectionId(f.connectionId);
      return c !== null && docId.startsWith(c.docPrefix);
    }
    return true;
  }

  /** What one document is told (the `faults` of its PageConfig). */
  forDocument(tabId: number, docId: string, queryParams: readonly string[]): PageFault[] {
    const out: PageFault[] = [];
    for (const f of this.faults.values()) {
      if (!this.appliesTo(f, tabId, docId)) continue;
      const conn = f.connectionId !== null ? (parseConnectionId(f.connectionId)?.conn ?? null) : null;
      out.push({
        id: f.id,
        kind: f.kind,
        projectKey: f.projectKey,
        queryParams: [...queryParams],
        conn,
        // What this document may still use: the global remainder plus what it already used
        // (the page subtracts its own hits, including those the worker has not seen yet).
        remaining: (f.remaining ?? 0) + (f.hitsByDoc.get(docId) ?? 0),
        retryAfterSec: f.retryAfterSec ?? 0,
        limit: f.limit ?? 0,
        current: f.current ?? 0,
        until: f.kind === 'hold' ? (f.endsAt ?? 0) : 0,
        delayMs: f.delayMs ?? 0,
        description: f.description,
      });
    }
    return out;
  }

  /** Plain data to keep in storage.session (a stopped worker loses its memory). */
  serialize(): unknown[] {
    return [...this.faults.values()].map((f) => ({ ...publicView(f), hitsByDoc: [...f.hitsByDoc] }));
  }

  /** Faults kept by a worker that was stopped; anything malformed is dropped. */
  restore(raw: unknown): void {
    if (!Array.isArray(raw)) return;
    let n = 0;
    for (const item of raw) {
      if (typeof item !== 'object' || item === null) continue;
      const f = item as SnapshotFault & { hitsByDoc?: unknown };
      if (typeof f.id !== 'string' || this.faults.has(f.id) || typeof f.tabId !== 'number') continue;
      if (!['refuse', 'drop', 'end', 'hold', 'delay'].includes(f.kind)) continue;
      const hits = new Map<string, number>();
      if (Array.isArray(f.hitsByDoc)) {
        for (const pair of f.hitsByDoc as unknown[]) {
          if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number') hits.set(pair[0], pair[1]);
        }
      }
      const { hitsByDoc: _h, ...rest } = f;
      this.faults.set(f.id, { ...rest, hitsByDoc: hits });
      n++;
    }
    if (n > 0) this.changed();
  }

  /** Tabs with faults that end when their last panel closes. */
  unpinnedTabs(): number[] {
    return [...new Set([...this.faults.values()].filter((f) => !f.pinned).map((f) => f.tabId))];
  }

  list(): SnapshotFault[] {
    return [...this.faults.values()].map(publicView);
  }

  get size(): number {
    return this.faults.size;
  }
}

function publicView(f: FaultRecord): SnapshotFault {
  const { hitsByDoc: _hits, ...rest } = f;
  return { ...rest };
}
