/**
 * The one place the worker's model changes: `reduce(state, action, rules)`.
 * Deterministic and free of I/O (time comes in the actions), so it is unit
 * tested with plain fixtures. For speed it updates `state` in place and
 * returns it; callers treat the result as the new state.
 */
import type { LogEntry, PageEvent, SnapshotRateLimit } from '../shared/protocol';
import { assertNever } from '../shared/protocol';
import { computeRoles } from './roles';
import { DEFAULT_RULES, projectKeyOfName, projectKeyOfUrl, type ProjectKeyRules } from './project-key';
import {
  BOUNDS,
  emptyStats,
  type ChannelRecord,
  type ConnectionRecord,
  type DocRecord,
  type FailedAttempt,
  type LockRecord,
  type NetResponse,
  type State,
} from './state';

export type Action =
  | { kind: 'doc:hello'; tabId: number; frameId: number; docId: string; url: string; title: string; t: number }
  | {
      kind: 'doc:events';
      tabId: number;
      frameId: number;
      docId: string;
      /** The relay's batch number, when it sends one. */
      seq?: number;
      events: PageEvent[];
      invalid: number;
      dropped: number;
      t: number;
    }
  | { kind: 'doc:gone'; docId: string; t: number }
  | { kind: 'tab:removed'; tabId: number; t: number }
  | { kind: 'tab:updated'; tabId: number; url?: string; title?: string }
  | { kind: 'net:response'; response: NetResponse }
  | { kind: 'invalid'; count: number }
  | { kind: 'capture:clear'; tabId?: number }
  | { kind: 'tick'; t: number };

/** Id of an entity of one document: tab, a short form of the document id, the page's id. */
export function entityId(tabId: number, docId: string, pageId: number | ''): string {
  return `${tabId}.${docId.slice(0, 8)}.${pageId}`;
}

export interface ReduceConfig {
  rules: ProjectKeyRules;
  /** Log entries kept (the setting `logEntries`). */
  logEntries: number;
}

export const DEFAULT_CONFIG: ReduceConfig = { rules: DEFAULT_RULES, logEntries: BOUNDS.logEntries };

export function reduce(state: State, action: Action, config: ReduceConfig = DEFAULT_CONFIG): State {
  const next = apply(state, action, config.rules);
  evictLog(next, config.logEntries);
  return next;
}

function apply(state: State, action: Action, rules: ProjectKeyRules): State {
  switch (action.kind) {
    case 'doc:hello':
      return hello(state, action);
    case 'doc:events': {
      const doc = ensureDoc(state, action.tabId, action.frameId, action.docId, action.t);
      if (action.seq !== undefined) {
        // A batch sent again after a reconnect, already applied: ignore it.
        if (doc.lastBatchSeq !== undefined && action.seq <= doc.lastBatchSeq) return state;
        doc.lastBatchSeq = action.seq;
      }
      state.stats.invalid += action.invalid;
      state.stats.droppedByPage += action.dropped;
      const src: Source = { tabId: action.tabId, frameId: action.frameId, docId: action.docId, idPrefix: entityId(action.tabId, action.docId, ''), lastPageId: -1, lastEntity: undefined, lastTable: null };
      for (const event of action.events) applyPageEvent(state, src, event, rules);
      return state;
    }
    case 'doc:gone':
      return docGone(state, action.docId, action.t);
    case 'tab:removed': {
      for (const doc of state.docs.values()) if (doc.tabId === action.tabId) docGone(state, doc.docId, action.t);
      for (const doc of [...state.docs.values()]) if (doc.tabId === action.tabId) state.docs.delete(doc.docId);
      state.tabs.delete(action.tabId);
      for (const [key, d] of state.declared) if (d.tabId === action.tabId) state.declared.delete(key);
      return state;
    }
    case 'tab:updated': {
      const tab = state.tabs.get(action.tabId);
      if (tab) {
        if (action.url !== undefined) tab.url = action.url;
        if (action.title !== undefined) tab.title = action.title;
      }
      return state;
    }
    case 'net:response':
      return netResponse(state, action.response, rules);
    case 'invalid':
      state.stats.invalid += action.count;
      return state;
    case 'capture:clear':
      return clear(state, action.tabId);
    case 'tick':
      return tick(state, action.t);
    default:
      return assertNever(action);
  }
}

// ---------------------------------------------------------------------------
// Documents and tabs
// ---------------------------------------------------------------------------

function hello(state: State, a: Extract<Action, { kind: 'doc:hello' }>): State {
  if (a.frameId === 0) {
    // A new top-level document replaces every other document of the tab
    // (navigation, or a reload while the worker was stopped).
    for (const doc of state.docs.values()) {
      if (doc.tabId === a.tabId && doc.docId !== a.docId && doc.live) docGone(state, doc.docId, a.t);
    }
    const tab = state.tabs.get(a.tabId);
    if (tab) {
      tab.url = a.url;
      tab.title = a.title || tab.title;
    } else {
      state.tabs.set(a.tabId, { tabId: a.tabId, url: a.url, title: a.title });
    }
  }
  const doc = state.docs.get(a.docId);
  if (doc && doc.tabId === a.tabId) {
    if (!doc.live) docRestored(state, doc, a.t);
    doc.live = true;
    doc.url = a.url;
    doc.title = a.title;
  } else if (!doc) {
    state.docs.set(a.docId, { docId: a.docId, tabId: a.tabId, frameId: a.frameId, url: a.url, title: a.title, live: true, at: a.t });
  }
  return state;
}

function ensureDoc(state: State, tabId: number, frameId: number, docId: string, t: number): DocRecord {
  if (!state.tabs.has(tabId)) state.tabs.set(tabId, { tabId, url: '', title: '' });
  let doc = state.docs.get(docId);
  if (!doc) state.docs.set(docId, (doc = { docId, tabId, frameId, url: '', title: '', live: true, at: t }));
  else doc.live = true;
  return doc;
}

function docGone(state: State, docId: string, t: number): State {
  const doc = state.docs.get(docId);
  if (!doc || !doc.live) return state;
  doc.live = false;
  // Everything the document held ends now; what it held is remembered, so a
  // page restored from the back/forward cache (same document) gets it back.
  for (const c of state.connections.values()) {
    if (c.docId === docId && c.state !== 'closed') {
      c.suspended = c.state;
      c.state = 'closed';
      c.closedAt = t;
    }
  }
  for (const ch of state.channels.values()) {
    if (ch.docId === docId && ch.open) {
      ch.open = false;
      ch.suspended = true;
    }
  }
  for (const l of state.locks.values()) {
    if (l.docId === docId && (l.state === 'held' || l.state === 'queued')) {
      l.suspended = l.state;
      l.state = l.state === 'held' ? 'released' : 'aborted';
      l.releasedAt = t;
    }
  }
  for (const d of state.declared.values()) if (d.docId === docId) d.suspended = true;
  appendLog(state, { seq: state.seq++, t, tabId: doc.tabId, frameId: doc.frameId, kind: 'doc:gone', ref: null, name: doc.url });
  return state;
}

/** A document that went away said hello again: it came back from the back/forward cache. */
function docRestored(state: State, doc: DocRecord, t: number): void {
  for (const c of state.connections.values()) {
    if (c.docId !== doc.docId || c.suspended === undefined) continue;
    c.state = c.suspended;
    c.closedAt = null;
    delete c.suspended;
  }
  for (const ch of state.channels.values()) {
    if (ch.docId !== doc.docId || !ch.suspended) continue;
    ch.open = true;
    delete ch.suspended;
  }
  for (const l of state.locks.values()) {
    if (l.docId !== doc.docId || l.suspended === undefined) continue;
    l.state = l.suspended;
    l.releasedAt = null;
    delete l.suspended;
  }
  for (const d of state.declared.values()) if (d.docId === doc.docId) delete d.suspended;
  appendLog(state, { seq: state.seq++, t, tabId: doc.tabId, frameId: doc.frameId, kind: 'doc:restored', ref: null, name: doc.url });
}

function clear(state: State, tabId: number | undefined): State {
  const keep = (x: { tabId: number }) => tabId !== undefined && x.tabId !== tabId;
  state.log = state.log.filter(keep);
  state.logChars = state.log.reduce((n, e) => n + (e.preview?.length ?? 0), 0);
  state.rateLimits = state.rateLimits.filter(keep);
  state.retryViolations = state.retryViolations.filter(keep);
  // Closed things go; live ones stay (they still exist), with counts reset.
  for (const [key, c] of state.connections) {
    if (keep(c)) continue;
    if (c.state === 'closed') state.connections.delete(key);
    else {
      c.messageCount = 0;
      c.bytes = 0;
      c.attempts = [];
      c.errorCount = 0;
      c.reconnects = 0;
    }
  }
  for (const [key, ch] of state.channels) {
    if (keep(ch)) continue;
    if (!ch.open) state.channels.delete(key);
    else ch.posted = ch.received = 0;
  }
  for (const [key, l] of state.locks) {
    if (!keep(l) && l.state !== 'held' && l.state !== 'queued') state.locks.delete(key);
  }
  if (tabId === undefined) {
    state.stats = emptyStats();
    state.pendingNet = [];
    state.projects.clear();
  }
  return state;
}

// ---------------------------------------------------------------------------
// Page events
// ---------------------------------------------------------------------------

/** Where the events of one document go: its tab, frame and document, and the prefix of its entity ids. */
interface Source {
  tabId: number;
  frameId: number;
  docId: string;
  /** `entityId(tabId, docId, '')`: an entity's id is this and the page's id. */
  idPrefix: string;
  /**
   * The entity the last event of the batch was about, by page id: events
   * about one connection or channel come in runs. Forgotten at every event
   * that creates something (it may replace or prune entries).
   */
  lastPageId: number;
  lastEntity: ConnectionRecord | ChannelRecord | LockRecord | undefined;
  lastTable: Map<string, unknown> | null;
}

/** The entity of this document with page id `pageId` in `table`. */
function entityOf<T extends ConnectionRecord | ChannelRecord | LockRecord>(src: Source, table: Map<string, T>, pageId: number): T | undefined {
  if (src.lastPageId === pageId && src.lastTable === table) return src.lastEntity as T | undefined;
  const found = table.get(src.idPrefix + pageId);
  src.lastPageId = pageId;
  src.lastTable = table;
  src.lastEntity = found;
  return found;
}

function forgetEntity(src: Source): void {
  src.lastTable = null;
  src.lastEntity = undefined;
}

/** An event about a connection, channel or lock this document never created: forged, or about something long evicted. Counted, not kept. */
function orphan(state: State): void {
  state.stats.invalid++;
}

/**
 * One page event. Log entries are built as literals (same keys, same order
 * as before: seq, t, tabId, frameId, kind, ref, name, then the kind's own),
 * without intermediate objects: this runs once per page event.
 */
function applyPageEvent(state: State, src: Source, e: PageEvent, rules: ProjectKeyRules): void {
  const { tabId, frameId, docId } = src;
  switch (e.kind) {
    case 'es:create':
    case 'fetch:open': {
      state.stats.accepted++;
      forgetEntity(src);
      const id = src.idPrefix + e.id;
      const isFetch = e.kind === 'fetch:open';
      const existing = state.connections.get(id);
      const c: ConnectionRecord = existing ?? {
        id,
        docId,
        tabId,
        frameId,
        url: e.url,
        projectKey: projectKeyOfUrl(e.url, rules),
        transport: isFetch ? 'fetch' : 'eventsource',
        state: isFetch ? 'open' : 'connecting',
        withCredentials: e.kind === 'es:create' ? e.withCredentials : false,
        method: e.kind === 'fetch:open' ? e.method : 'GET',
        messageCount: 0,
        bytes: 0,
        lastEventId: '',
        reconnects: 0,
        errorCount: 0,
        openedAt: e.t,
        lastOpenAt: isFetch ? e.t : null,
        closedAt: null,
        attempts: [],
      };
      if (isFetch) c.httpStatus = e.status;
      state.connections.set(id, c);
      pruneClosed(state, state.connections);
      checkRetryStorm(state, tabId, c.projectKey, c.url, e.t);
      matchPendingNet(state, c);
      appendLog(
        state,
        e.kind === 'fetch:open'
          ? { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: id, name: e.url, status: e.status, info: `${e.method} ${e.status}` }
          : { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: id, name: e.url },
      );
      return;
    }
    case 'es:state': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      const next = e.readyState === 0 ? 'connecting' : e.readyState === 1 ? 'open' : 'closed';
      if (next === 'connecting' && c.state !== 'connecting') {
        c.reconnects++;
        checkRetryStorm(state, tabId, c.projectKey, c.url, e.t);
      }
      if (next === 'open') c.lastOpenAt = e.t;
      if (next === 'closed' && c.state !== 'closed') c.closedAt = e.t;
      if (next !== 'closed') c.closedAt = null;
      c.state = next;
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: c.id, name: c.url, readyState: e.readyState });
      return;
    }
    case 'es:open': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      c.state = 'open';
      c.lastOpenAt = e.t;
      c.closedAt = null;
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: c.id, name: c.url });
      return;
    }
    case 'es:message':
    case 'fetch:message': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      c.messageCount++;
      c.bytes += e.size;
      if (e.lastEventId) c.lastEventId = e.lastEventId;
      appendLog(state, {
        seq: state.seq++,
        t: e.t,
        tabId,
        frameId,
        kind: e.kind,
        ref: c.id,
        name: c.url,
        type: e.type,
        preview: e.preview,
        size: e.size,
        lastEventId: e.lastEventId,
      });
      return;
    }
    case 'es:message-summary':
    case 'fetch:message-summary': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      c.messageCount += e.count;
      c.bytes += e.bytes;
      if (e.lastEventId) c.lastEventId = e.lastEventId;
      appendLog(state, {
        seq: state.seq++,
        t: e.t,
        tabId,
        frameId,
        kind: e.kind,
        ref: c.id,
        name: c.url,
        size: e.bytes,
        lastEventId: e.lastEventId,
        info: summaryInfo(e.count, 'message', e.since, e.t),
        count: e.count,
        since: e.since,
      });
      return;
    }
    case 'es:error': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      c.errorCount++;
      const next = e.readyState === 0 ? 'connecting' : e.readyState === 1 ? 'open' : 'closed';
      // The page script counts attempts itself (a connection that never
      // opens stays "connecting" through its retries); else count transitions.
      const attempts = e.reconnects ?? (next === 'connecting' && c.state !== 'connecting' ? c.reconnects + 1 : c.reconnects);
      if (attempts > c.reconnects) {
        c.reconnects = attempts;
        checkRetryStorm(state, tabId, c.projectKey, c.url, e.t);
      }
      if (next === 'closed' && c.state !== 'closed') c.closedAt = e.t;
      c.state = next;
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: c.id, name: c.url, readyState: e.readyState });
      return;
    }
    case 'es:close':
    case 'fetch:end': {
      const c = entityOf(src, state.connections, e.id);
      if (!c) return orphan(state);
      state.stats.accepted++;
      if (c.state !== 'closed') {
        c.state = 'closed';
        c.closedAt = e.t;
      }
      appendLog(
        state,
        e.kind === 'fetch:end'
          ? { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: c.id, name: c.url, info: e.reason }
          : { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: c.id, name: c.url },
      );
      return;
    }
    case 'bc:create': {
      state.stats.accepted++;
      forgetEntity(src);
      const id = src.idPrefix + e.id;
      state.channels.set(id, {
        id,
        docId,
        tabId,
        frameId,
        name: e.name,
        projectKey: projectKeyOfName(e.name, rules),
        posted: 0,
        received: 0,
        open: true,
        at: e.t,
      });
      pruneClosed(state, state.channels);
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: id, name: e.name });
      return;
    }
    case 'bc:post':
    case 'bc:receive': {
      const ch = entityOf(src, state.channels, e.id);
      if (!ch) return orphan(state);
      state.stats.accepted++;
      if (e.kind === 'bc:post') ch.posted++;
      else ch.received++;
      appendLog(state, {
        seq: state.seq++,
        t: e.t,
        tabId,
        frameId,
        kind: e.kind,
        ref: ch.id,
        name: ch.name,
        preview: e.preview,
        size: e.size,
      });
      return;
    }
    case 'bc:post-summary':
    case 'bc:receive-summary': {
      const ch = entityOf(src, state.channels, e.id);
      if (!ch) return orphan(state);
      state.stats.accepted++;
      if (e.kind === 'bc:post-summary') ch.posted += e.count;
      else ch.received += e.count;
      appendLog(state, {
        seq: state.seq++,
        t: e.t,
        tabId,
        frameId,
        kind: e.kind,
        ref: ch.id,
        name: ch.name,
        info: summaryInfo(e.count, e.kind === 'bc:post-summary' ? 'post' : 'receipt', e.since, e.t),
        count: e.count,
        since: e.since,
      });
      return;
    }
    case 'bc:messageerror':
    case 'bc:close': {
      const ch = entityOf(src, state.channels, e.id);
      if (!ch) return orphan(state);
      state.stats.accepted++;
      if (e.kind === 'bc:close') ch.open = false;
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: ch.id, name: ch.name });
      return;
    }
    case 'lock:request': {
      state.stats.accepted++;
      forgetEntity(src);
      const id = src.idPrefix + e.id;
      state.locks.set(id, {
        id,
        docId,
        tabId,
        frameId,
        name: e.name,
        projectKey: projectKeyOfName(e.name, rules),
        mode: e.mode,
        ifAvailable: e.ifAvailable,
        steal: e.steal,
        state: 'queued',
        requestedAt: e.t,
        grantedAt: null,
        releasedAt: null,
      });
      pruneClosed(state, state.locks);
      const flags = [e.mode, e.ifAvailable ? 'ifAvailable' : '', e.steal ? 'steal' : ''].filter(Boolean).join(' ');
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: id, name: e.name, info: flags });
      return;
    }
    case 'lock:granted':
    case 'lock:unavailable':
    case 'lock:released':
    case 'lock:aborted': {
      const l = entityOf(src, state.locks, e.id);
      if (!l) return orphan(state);
      state.stats.accepted++;
      if (e.kind === 'lock:granted') {
        l.state = 'held';
        l.grantedAt = e.t;
        if (l.steal) {
          // A steal takes the lock from its holders: they lose it now.
          for (const other of state.locks.values()) {
            if (other !== l && other.name === l.name && other.state === 'held') {
              other.state = 'aborted';
              other.releasedAt = e.t;
            }
          }
        }
      } else {
        l.state = e.kind === 'lock:unavailable' ? 'unavailable' : e.kind === 'lock:released' ? 'released' : 'aborted';
        l.releasedAt = e.t;
      }
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: l.id, name: l.name });
      return;
    }
    case 'lock:request-summary': {
      state.stats.accepted++;
      appendLog(state, {
        seq: state.seq++,
        t: e.t,
        tabId,
        frameId,
        kind: e.kind,
        ref: null,
        name: e.name,
        info: `${summaryInfo(e.count, 'lock request', e.since, e.t)}; each granted and released within one batch`,
        count: e.count,
        since: e.since,
      });
      return;
    }
    case 'hook:role': {
      state.stats.accepted++;
      state.declared.set(`${tabId}|${e.projectKey}`, { tabId, docId, projectKey: e.projectKey, role: e.role, at: e.t });
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: null, name: e.projectKey, info: e.role });
      return;
    }
    case 'wrapper:error': {
      state.stats.accepted++;
      appendLog(state, { seq: state.seq++, t: e.t, tabId, frameId, kind: e.kind, ref: null, name: '', info: e.message });
      return;
    }
    default:
      assertNever(e);
  }
}

/** Keep at most BOUNDS.closedEntities closed entries in a table (oldest first out). */
function pruneClosed<T extends { state?: string; open?: boolean }>(state: State, table: Map<string, T>): void {
  if (table.size <= BOUNDS.closedEntities * 2) return;
  const isClosed = (x: T) => x.open === false || x.state === 'closed' || x.state === 'released' || x.state === 'aborted' || x.state === 'unavailable';
  let closed = 0;
  for (const x of table.values()) if (isClosed(x)) closed++;
  for (const [key, x] of table) {
    if (closed <= BOUNDS.closedEntities) break;
    if (isClosed(x)) {
      table.delete(key);
      closed--;
      state.stats.evicted++;
    }
  }
}

// ---------------------------------------------------------------------------
// What the server said
// ---------------------------------------------------------------------------

function attemptOf(r: NetResponse): FailedAttempt {
  return { at: r.at, status: r.status, retryAfterMs: r.retryAfterMs, limit: r.limit, current: r.current };
}

function netResponse(state: State, r: NetResponse, rules: ProjectKeyRules): State {
  const conn = findConnectionFor(state, r.tabId, r.url, r.at);
  const projectKey = conn?.projectKey ?? projectKeyOfUrl(r.url, rules);
  if (conn) applyResponse(conn, r);
  else if (r.method !== 'HEAD') {
    state.pendingNet.push(r);
    if (state.pendingNet.length > BOUNDS.pendingNet) state.pendingNet.shift();
  }
  if (projectKey !== null && r.limit !== null) {
    state.serverLimits.set(projectKey, { limit: r.limit, current: r.current, at: r.at });
  }
  if (r.status === 429 || r.status === 503 || r.retryAfterMs !== null) {
    const entry: SnapshotRateLimit = {
      tabId: r.tabId,
      url: r.url,
      projectKey,
      status: r.status,
      retryAfterMs: r.retryAfterMs,
      limit: r.limit,
      current: r.current,
      at: r.at,
      connectionId: conn?.id ?? null,
      method: r.method,
    };
    state.rateLimits.push(entry);
    if (state.rateLimits.length > BOUNDS.rateLimits) state.rateLimits.shift();
  }
  const parts = [r.method, String(r.status)];
  if (r.retryAfterMs !== null) parts.push(`retry after ${r.retryAfterMs / 1000} s`);
  if (r.limit !== null) parts.push(`${r.current ?? '?'} of ${r.limit} in use`);
  appendLog(state, {
    seq: state.seq++,
    t: r.at,
    tabId: r.tabId,
    frameId: conn?.frameId ?? 0,
    kind: 'net:response',
    ref: conn?.id ?? null,
    name: r.url,
    status: r.status,
    info: parts.join(' · '),
  });
  return state;
}

function applyResponse(c: ConnectionRecord, r: NetResponse): void {
  if (r.method === 'HEAD') {
    // A probe of the kind the seed's client sends: it explains the failure,
    // it is not itself an attempt of the connection.
    if (r.status >= 400) pushAttempt(c, { ...attemptOf(r) });
    return;
  }
  c.httpStatus = r.status;
  if (r.status >= 400) {
    const attempt = attemptOf(r);
    pushAttempt(c, attempt);
    c.refusal = attempt;
  }
}

function pushAttempt(c: ConnectionRecord, a: FailedAttempt): void {
  c.attempts.push(a);
  if (c.attempts.length > BOUNDS.attemptsPerConnection) c.attempts.shift();
}

/** The connection a response answered: same tab and URL, live or just closed, newest first. */
function findConnectionFor(state: State, tabId: number, url: string, at: number): ConnectionRecord | undefined {
  let best: ConnectionRecord | undefined;
  for (const c of state.connections.values()) {
    if (c.tabId !== tabId || c.url !== url) continue;
    const recent = c.state !== 'closed' || (c.closedAt !== null && at - c.closedAt <= BOUNDS.pendingNetMs);
    if (!recent) continue;
    if (!best || rank(c) > rank(best) || (rank(c) === rank(best) && c.openedAt > best.openedAt)) best = c;
  }
  return best;
}

function rank(c: ConnectionRecord): number {
  return c.state === 'connecting' ? 2 : c.state === 'open' ? 1 : 0;
}

function matchPendingNet(state: State, c: ConnectionRecord): void {
  const i = state.pendingNet.findIndex(
    (r) => r.tabId === c.tabId && r.url === c.url && Math.abs(c.openedAt - r.at) <= BOUNDS.pendingNetMs,
  );
  if (i < 0) return;
  const [r] = state.pendingNet.splice(i, 1);
  if (!r) return;
  applyResponse(c, r);
  for (const rl of state.rateLimits) if (rl.tabId === r.tabId && rl.url === r.url && rl.at === r.at) rl.connectionId = c.id;
}

/** A new attempt sooner than the Retry-After this tab was given for the project. */
function checkRetryStorm(state: State, tabId: number, projectKey: string | null, url: string, t: number): void {
  for (let i = state.rateLimits.length - 1; i >= 0; i--) {
    const rl = state.rateLimits[i];
    if (!rl || rl.tabId !== tabId || rl.retryAfterMs === null || rl.method === 'HEAD') continue;
    if (projectKey !== null ? rl.projectKey !== projectKey : rl.url !== url) continue;
    const allowedAt = rl.at + rl.retryAfterMs;
    if (t < allowedAt && t >= rl.at) {
      state.retryViolations.push({ tabId, projectKey, url, at: t, earlyByMs: allowedAt - t });
      if (state.retryViolations.length > BOUNDS.retryViolations) state.retryViolations.shift();
    }
    return;
  }
}

// ---------------------------------------------------------------------------
// Log and time
// ---------------------------------------------------------------------------

/** Append an entry built by the caller with `seq: state.seq++` first. */
function appendLog(state: State, entry: LogEntry): void {
  state.log.push(entry);
  if (entry.preview !== undefined) state.logChars += entry.preview.length;
}

/** Keep the log within its bounds after an action, oldest first out, evictions counted. */
function evictLog(state: State, capacity: number): void {
  if (state.log.length <= capacity && state.logChars <= BOUNDS.logChars) return;
  // Evict at least 1% of the capacity at a time, so the array is not
  // shifted once per event when the log is full.
  const minChunk = Math.ceil(capacity / 100);
  let n = 0;
  let chars = state.logChars;
  while (n < state.log.length - 1 && (n < minChunk || state.log.length - n > capacity || chars > BOUNDS.logChars)) {
    chars -= state.log[n]?.preview?.length ?? 0;
    n++;
  }
  state.log.splice(0, n);
  state.logChars = chars;
  state.stats.evicted += n;
}

function tick(state: State, t: number): State {
  state.pendingNet = state.pendingNet.filter((r) => t - r.at <= BOUNDS.pendingNetMs);
  const roles = computeRoles(state);
  for (const [projectKey, summary] of roles) {
    let memory = state.projects.get(projectKey);
    if (!memory) {
      memory = { noLeaderSince: null, leaderHistory: [] };
      state.projects.set(projectKey, memory);
    }
    const stranded = summary.leaderTabIds.length === 0 && summary.followerTabIds.length > 0;
    if (stranded) memory.noLeaderSince ??= t;
    else memory.noLeaderSince = null;
    const current = new Set(summary.leaderTabIds);
    for (const span of memory.leaderHistory) {
      if (span.to === null && !current.has(span.tabId)) span.to = t;
    }
    for (const tabId of current) {
      if (!memory.leaderHistory.some((s) => s.tabId === tabId && s.to === null)) {
        memory.leaderHistory.push({ tabId, from: t, to: null });
        if (memory.leaderHistory.length > BOUNDS.leaderHistory) memory.leaderHistory.shift();
      }
    }
  }
  for (const [projectKey, memory] of state.projects) {
    if (roles.has(projectKey)) continue;
    memory.noLeaderSince = null;
    for (const span of memory.leaderHistory) if (span.to === null) span.to = t;
  }
  return state;
}

/** What a summary entry says: "1,234 messages over 0.52 s, not logged one by one (message log rate)". */
export function summaryInfo(count: number, noun: string, since: number, until: number): string {
  const span = Math.max(0, until - since) / 1000;
  // Not toLocaleString: it builds an ICU formatter per call (~0.1 ms, most of the worker's time under a flood of summaries).
  const what = count === 1 ? `1 ${noun}` : `${String(count).replace(/\B(?=(\d{3})+$)/g, ',')} ${noun}s`;
  return `${what} over ${span.toFixed(span < 10 ? 2 : 1)} s, not logged one by one (message log rate)`;
}
