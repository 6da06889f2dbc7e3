/**
 * Fault injection in the page (MAIN world). Faults come from the worker with
 * the relay's config (`PageConfig.faults`), only ever because a person asked
 * for them in the panel; with none, every function here returns at once and
 * nothing changes (the wrappers go on as usual). See docs/faults.md.
 *
 * - refuse: an EventSource attempt is constructed natively on a `data:` URL
 *   that fails without contacting the server (error, then CLOSED), while its
 *   `url` still reads as the original; a fetch attempt (GET asking for
 *   text/event-stream) or a HEAD probe of a refused stream gets a real
 *   `Response` 429 with Retry-After, X-SSE-Connection-Limit,
 *   X-SSE-Current-Connections and the seed's JSON body, and the server is
 *   never contacted.
 * - drop / end / hold / delay: see event-source.ts and fetch-stream.ts, which
 *   ask this module what applies to a connection.
 *
 * Each fault is announced once per document, when it first applies, with one
 * deliberate `console.warn("[SSE Connections] injecting: …")`.
 */
import { PAGE_SOURCE, PROTOCOL_VERSION } from '../shared/constants';
import { bag, nativeGetter, read, type NativeGetter } from './dom';
import {
  apply,
  construct,
  dateNow,
  getOwnPropertyDescriptor,
  indexOf,
  isArray,
  isObjectLike,
  jsonStringify,
  NativePromise,
  NativeWeakMap,
  nullObject,
  ownKeys,
  slice,
  toLowerCase,
  wmGet,
  wmSet,
} from './natives';
import { wrapGetter } from './native-look';
import { dataProperty } from './lock-options';

import type { FaultKind, PageFault } from '../shared/protocol';

export type { FaultKind };
export type HitKind = 'eventsource' | 'fetch' | 'head' | 'drop' | 'end' | 'hold' | 'delay';

/** A fault as the page script holds it: exactly what the worker sends (type only: no validator here). */
export type ActiveFault = PageFault;

interface Env {
  win: Window & typeof globalThis;
  sendRaw: (json: string) => void;
  warn: (...args: unknown[]) => void;
  console: Console;
  setTimeout: (fn: () => void, ms: number) => number;
  NativeURL: typeof URL;
  NativeResponse: typeof Response;
  href: NativeGetter;
  origin: NativeGetter;
  pathname: NativeGetter;
  searchParams: NativeGetter;
  paramsGet: (this: URLSearchParams, name: string) => string | null;
  baseURI: () => string;
  requestUrl: NativeGetter;
  requestMethod: NativeGetter;
  requestHeaders: NativeGetter;
  headersGet: (this: Headers, name: string) => string | null;
  aborted: NativeGetter;
}

let env: Env | null = null;
let faults: ActiveFault[] = [];
/** Refusals this document made per fault (the worker may not have seen them yet). */
const localHits: Record<string, number> = nullObject();
const announced: Record<string, true> = nullObject();
/** origin + path of streams refused lately -> until when a HEAD probe is refused too, and with what. */
const headWindows: Record<string, { until: number; fault: ActiveFault }> = nullObject();
const refusedEs: WeakMap<object, string> = new NativeWeakMap();
const fakeResponses: WeakMap<object, { url: string; type: string }> = new NativeWeakMap();
let pendingEsUrl: string | null = null;
let esUrlWrapped = false;
let responseWrapped = false;
const listeners: (() => void)[] = [];

/** Captures what fault injection needs, at startup like every other native. */
export function installFaults(win: Window & typeof globalThis, sendRaw: (json: string) => void): void {
  const console_ = win.console;
  const URLProto = win.URL.prototype;
  env = {
    win,
    sendRaw,
    warn: console_.warn,
    console: console_,
    setTimeout: win.setTimeout as unknown as Env['setTimeout'],
    NativeURL: win.URL,
    NativeResponse: win.Response,
    href: nativeGetter(URLProto, 'href'),
    origin: nativeGetter(URLProto, 'origin'),
    pathname: nativeGetter(URLProto, 'pathname'),
    searchParams: nativeGetter(URLProto, 'searchParams'),
    paramsGet: win.URLSearchParams.prototype.get,
    baseURI: ((get) => () => read(get, win.document) as string)(nativeGetter(win.Node.prototype, 'baseURI')),
    requestUrl: nativeGetter(win.Request?.prototype, 'url'),
    requestMethod: nativeGetter(win.Request?.prototype, 'method'),
    requestHeaders: nativeGetter(win.Request?.prototype, 'headers'),
    headersGet: win.Headers.prototype.get,
    aborted: nativeGetter(win.AbortSignal?.prototype, 'aborted'),
  };
}

/** Called when the set of faults changes (event-source.ts and fetch-stream.ts react). */
export function onFaultsChanged(fn: () => void): void {
  listeners[listeners.length] = fn;
}

export function hasFaults(): boolean {
  return faults.length > 0;
}

export function activeFaults(): readonly ActiveFault[] {
  return faults;
}

function str(o: object, key: string): string | null {
  const v = getOwnPropertyDescriptor(o, key)?.value;
  return typeof v === 'string' ? v : null;
}
function num(o: object, key: string): number {
  const v = getOwnPropertyDescriptor(o, key)?.value;
  return typeof v === 'number' && v === v ? v : 0;
}
const KINDS: Record<string, true> = nullObject();
KINDS['refuse'] = true;
KINDS['drop'] = true;
KINDS['end'] = true;
KINDS['hold'] = true;
KINDS['delay'] = true;

/** The `faults` of a config the relay sent (JSON-parsed). A missing list changes nothing. */
export function setFaultsFromConfig(config: object): void {
  const desc = getOwnPropertyDescriptor(config, 'faults');
  if (!desc) return;
  const list = desc.value;
  const next: ActiveFault[] = [];
  if (isArray(list)) {
    for (let i = 0; i < list.length && i < 64; i++) {
      const f: unknown = list[i];
      if (!isObjectLike(f)) continue;
      const id = str(f, 'id');
      const kind = str(f, 'kind');
      if (!id || !kind || !KINDS[kind]) continue;
      const qp = getOwnPropertyDescriptor(f, 'queryParams')?.value;
      const queryParams: string[] = [];
      if (isArray(qp)) for (let j = 0; j < qp.length && j < 16; j++) if (typeof qp[j] === 'string') queryParams[queryParams.length] = qp[j] as string;
      const conn = getOwnPropertyDescriptor(f, 'conn')?.value;
      next[next.length] = {
        id,
        kind: kind as FaultKind,
        projectKey: str(f, 'projectKey'),
        queryParams,
        conn: typeof conn === 'number' ? conn : null,
        remaining: num(f, 'remaining'),
        retryAfterSec: num(f, 'retryAfterSec'),
        limit: num(f, 'limit'),
        current: num(f, 'current'),
        until: num(f, 'until'),
        delayMs: num(f, 'delayMs'),
        description: str(f, 'description') ?? kind,
      };
    }
  }
  if (next.length === 0 && faults.length === 0) return;
  faults = next;
  updateHold();
  for (let i = 0; i < listeners.length; i++) {
    try {
      (listeners[i] as () => void)();
    } catch {
      // One reaction failing must not stop the others.
    }
  }
}

/** One console line per fault and document, when it first applies. Deliberately visible. */
export function announce(fault: ActiveFault): void {
  if (!env || announced[fault.id]) return;
  announced[fault.id] = true;
  try {
    apply(env.warn, env.console, [`[SSE Connections] injecting: ${fault.description}`]);
  } catch {
    // A page that broke its console: stay quiet.
  }
}

/** Tell the worker the fault was applied once. */
export function reportHit(fault: ActiveFault, what: HitKind, url: string): void {
  if (!env) return;
  const detail = jsonStringify(
    bag({ source: PAGE_SOURCE, v: PROTOCOL_VERSION, faultHit: bag({ id: fault.id, what, url: slice(url, 0, 4096) }) }),
  );
  env.sendRaw(detail);
}

// ---------------------------------------------------------------------------
// URLs and projects
// ---------------------------------------------------------------------------

interface Parsed {
  href: string;
  key: string;
  url: object;
}

function parseUrl(input: unknown): Parsed | null {
  const e = env;
  if (!e) return null;
  let raw: string | null = null;
  if (typeof input === 'string') raw = input;
  else if (isObjectLike(input)) {
    // A URL object (brand-checked through the native getter), never a toString of page code.
    try {
      const h = read(e.href, input);
      if (typeof h === 'string') raw = h;
    } catch {
      raw = null;
    }
  }
  if (raw === null) return null;
  try {
    const url = construct(e.NativeURL, [raw, e.baseURI()]) as object;
    const href = read(e.href, url) as string;
    const key = `${read(e.origin, url) as string}${read(e.pathname, url) as string}`;
    return { href, key, url };
  } catch {
    return null;
  }
}

function inProject(fault: ActiveFault, parsed: Parsed): boolean {
  if (fault.projectKey === null) return true;
  const e = env;
  if (!e) return false;
  const params = read(e.searchParams, parsed.url) as URLSearchParams;
  for (let i = 0; i < fault.queryParams.length; i++) {
    const value = apply(e.paramsGet, params, [fault.queryParams[i]]);
    if (value) return value === fault.projectKey;
  }
  return false;
}

function refuseFor(parsed: Parsed): ActiveFault | null {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as ActiveFault;
    if (f.kind !== 'refuse') continue;
    if (f.remaining - (localHits[f.id] ?? 0) <= 0) continue;
    if (inProject(f, parsed)) return f;
  }
  return null;
}

function consume(f: ActiveFault, parsed: Parsed, what: HitKind): void {
  localHits[f.id] = (localHits[f.id] ?? 0) + 1;
  // A HEAD probe of this stream within Retry-After sees the same refusal, as from a real server.
  headWindows[parsed.key] = { until: dateNow() + f.retryAfterSec * 1000, fault: f };
  announce(f);
  reportHit(f, what, parsed.href);
}

// ---------------------------------------------------------------------------
// EventSource refusals
// ---------------------------------------------------------------------------

/** The URL a native EventSource is built on instead: it fails (not an event stream) without any network. */
const REFUSED_ES_URL = 'data:text/plain,';

/** wrapConstructor's rewrite: null (unchanged) unless a refuse fault takes this attempt. */
export function rewriteEventSourceArgs(args: unknown[]): unknown[] | null {
  pendingEsUrl = null;
  if (faults.length === 0 || args.length === 0) return null;
  const parsed = parseUrl(args[0]);
  if (!parsed) return null;
  const f = refuseFor(parsed);
  if (!f) return null;
  ensureEsUrlGetter();
  consume(f, parsed, 'eventsource');
  pendingEsUrl = parsed.href;
  const out: unknown[] = [REFUSED_ES_URL];
  for (let i = 1; i < args.length; i++) out[i] = args[i];
  return out;
}

/** Right after construction: remember the instance a refusal was built for. Returns its page-visible URL. */
export function adoptRefusedEventSource(es: object): string | null {
  const url = pendingEsUrl;
  pendingEsUrl = null;
  if (url === null) return null;
  wmSet(refusedEs, es, url);
  return url;
}

function ensureEsUrlGetter(): void {
  if (esUrlWrapped || !env) return;
  esUrlWrapped = true;
  wrapGetter(env.win.EventSource.prototype, 'url', (thisArg) => {
    if (!isObjectLike(thisArg)) return null;
    const url = wmGet(refusedEs, thisArg);
    return url === undefined ? null : { value: url };
  });
}

// ---------------------------------------------------------------------------
// fetch refusals (GET for text/event-stream, HEAD probes)
// ---------------------------------------------------------------------------

function acceptsEventStream(headers: unknown): boolean {
  const e = env;
  if (!e || !isObjectLike(headers)) return false;
  // A native Headers object.
  try {
    const v = apply(e.headersGet, headers, ['accept']);
    return typeof v === 'string' && indexOf(toLowerCase(v), 'text/event-stream') !== -1;
  } catch {
    // Not a Headers: a record or a list of pairs.
  }
  if (isArray(headers)) {
    for (let i = 0; i < headers.length; i++) {
      const pair: unknown = headers[i];
      if (!isArray(pair) || pair.length !== 2) continue;
      const [k, v] = [pair[0], pair[1]];
      if (typeof k === 'string' && typeof v === 'string' && toLowerCase(k) === 'accept' && indexOf(toLowerCase(v), 'text/event-stream') !== -1) return true;
    }
    return false;
  }
  const keys = ownKeys(headers);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (typeof k !== 'string' || toLowerCase(k) !== 'accept') continue;
    const v = getOwnPropertyDescriptor(headers, k)?.value;
    if (typeof v === 'string' && indexOf(toLowerCase(v), 'text/event-stream') !== -1) return true;
  }
  return false;
}

function refusalResponse(f: ActiveFault, href: string, head: boolean): Response {
  const e = env as Env;
  const body = head
    ? null
    : jsonStringify(
        bag({
          error: 'too_many_connections',
          message: `SSE connection limit exceeded. Maximum ${f.limit} connections allowed per user/project.`,
          current_connections: f.current,
          max_connections: f.limit,
          retry_after_ms: f.retryAfterSec * 1000,
          recommendation: 'Close other chat windows or switch this tab to follower mode',
        }),
      );
  const headers = nullObject<Record<string, string>>();
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['cache-control'] = 'no-store';
  headers['retry-after'] = `${f.retryAfterSec}`;
  headers['x-sse-connection-limit'] = `${f.limit}`;
  headers['x-sse-current-connections'] = `${f.current}`;
  const response = construct(e.NativeResponse, [body, bag({ status: 429, statusText: 'Too Many Requests', headers })]) as Response;
  ensureResponseGetters();
  let sameOrigin = false;
  try {
    const doc = construct(e.NativeURL, [e.baseURI()]) as object;
    const target = construct(e.NativeURL, [href]) as object;
    sameOrigin = read(e.origin, doc) === read(e.origin, target);
  } catch {
    sameOrigin = false;
  }
  wmSet(fakeResponses, response, { url: href, type: sameOrigin ? 'basic' : 'cors' });
  return response;
}

function ensureResponseGetters(): void {
  if (responseWrapped || !env) return;
  responseWrapped = true;
  const proto = env.NativeResponse.prototype;
  wrapGetter(proto, 'url', (thisArg) => {
    const r = isObjectLike(thisArg) ? wmGet(fakeResponses, thisArg) : undefined;
    return r ? { value: r.url } : null;
  });
  wrapGetter(proto, 'type', (thisArg) => {
    const r = isObjectLike(thisArg) ? wmGet(fakeResponses, thisArg) : undefined;
    return r ? { value: r.type } : null;
  });
}

function later<T>(value: T): Promise<T> {
  const e = env as Env;
  return new NativePromise<T>((resolve) => {
    apply(e.setTimeout, e.win, [() => resolve(value), 0]);
  });
}

/** The fetch wrapper's `instead`: a refusal without any network, or null. */
export function refuseFetch(args: unknown[]): { value: unknown } | null {
  const e = env;
  if (!e || (faults.length === 0 && !anyHeadWindow())) return null;
  const input = args[0];
  let urlInput: unknown = input;
  let method = 'GET';
  let headers: unknown = null;
  if (isObjectLike(input)) {
    try {
      urlInput = read(e.requestUrl, input);
      method = read(e.requestMethod, input) as string;
      headers = read(e.requestHeaders, input);
    } catch {
      urlInput = input; // a URL object, not a Request
    }
  }
  const init = args[1];
  if (isObjectLike(init)) {
    const m = dataProperty(init, 'method');
    if (m && typeof m.value === 'string') method = m.value;
    const h = dataProperty(init, 'headers');
    if (h && h.value !== undefined) headers = h.value;
    const signal = dataProperty(init, 'signal');
    // An aborted signal: the native call rejects at once, without network; let it.
    if (signal && isObjectLike(signal.value)) {
      try {
        if (read(e.aborted, signal.value) === true) return null;
      } catch {
        return null;
      }
    }
  }
  const upper = method.length <= 8 ? toUpperAscii(method) : method;
  if (upper !== 'GET' && upper !== 'HEAD') return null;
  const parsed = parseUrl(urlInput);
  if (!parsed) return null;
  if (upper === 'HEAD') {
    const w = headWindows[parsed.key];
    if (w && w.until > dateNow()) {
      announce(w.fault);
      reportHit(w.fault, 'head', parsed.href);
      return { value: later(refusalResponse(w.fault, parsed.href, true)) };
    }
    return null;
  }
  if (!acceptsEventStream(headers)) return null;
  const f = refuseFor(parsed);
  if (!f) return null;
  consume(f, parsed, 'fetch');
  return { value: later(refusalResponse(f, parsed.href, false)) };
}

function anyHeadWindow(): boolean {
  const keys = ownKeys(headWindows);
  const now = dateNow();
  for (let i = 0; i < keys.length; i++) {
    const w = headWindows[keys[i] as string];
    if (w && w.until > now) return true;
  }
  return false;
}

function toUpperAscii(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = slice(s, i, i + 1);
    const lower = 'abcdefghijklmnopqrstuvwxyz';
    const at = indexOf(lower, c);
    out += at === -1 ? c : slice('ABCDEFGHIJKLMNOPQRSTUVWXYZ', at, at + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Hold (freeze a leader): BroadcastChannel posts and SSE events wait in one
// queue, in order, until the hold ends (its time is over, or it was cleared).
// ---------------------------------------------------------------------------

let holding: ActiveFault | null = null;
let held: (() => void)[] = [];
let holdTimer = 0;

function updateHold(): void {
  const now = dateNow();
  let next: ActiveFault | null = null;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as ActiveFault;
    if (f.kind === 'hold' && f.until > now) next = f;
  }
  if (next && (!holding || holding.id !== next.id)) {
    holding = next;
    announce(next);
    reportHit(next, 'hold', '');
    const e = env;
    if (e) {
      const id = next.id;
      holdTimer = apply(e.setTimeout, e.win, [() => {
        if (holding && holding.id === id) release();
      }, next.until - now]) as number;
    }
  } else if (!next && holding) {
    release();
  }
}

function release(): void {
  holding = null;
  void holdTimer;
  const queue = held;
  held = [];
  for (let i = 0; i < queue.length; i++) {
    try {
      (queue[i] as () => void)();
    } catch {
      // One delivery failing (a channel closed meanwhile) must not stop the others.
    }
  }
}

/** True while this document is held (a hold fault is on). */
export function isHolding(): boolean {
  if (holding && holding.until <= dateNow()) release();
  return holding !== null;
}

/** Queue a delivery until the hold ends. */
export function holdBack(deliver: () => void): void {
  held[held.length] = deliver;
}

/** The delay fault of one connection of this document, if any. */
export function delayOf(conn: number): ActiveFault | null {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as ActiveFault;
    if (f.kind === 'delay' && f.conn === conn) return f;
  }
  return null;
}

const applied: Record<string, true> = nullObject();

/** Drop / end faults for this document's connections not applied yet (each is applied once). */
export function takeOneShots(): ActiveFault[] {
  const out: ActiveFault[] = [];
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i] as ActiveFault;
    if ((f.kind === 'drop' || f.kind === 'end') && f.conn !== null && !applied[f.id]) out[out.length] = f;
  }
  return out;
}

export function markApplied(f: ActiveFault, what: HitKind, url: string): void {
  applied[f.id] = true;
  announce(f);
  reportHit(f, what, url);
}

/** A browser-like reconnect of an emulated EventSource is an attempt too: refused when a refuse fault takes it. */
export function refuseReconnect(url: string): ActiveFault | null {
  if (faults.length === 0) return null;
  const parsed = parseUrl(url);
  if (!parsed) return null;
  const f = refuseFor(parsed);
  if (!f) return null;
  consume(f, parsed, 'eventsource');
  return f;
}

/** Tests only. */
export function resetFaultsForTests(): void {
  env = null;
  faults = [];
  for (const k of ownKeys(localHits)) delete localHits[k as string];
  for (const k of ownKeys(announced)) delete announced[k as string];
  for (const k of ownKeys(headWindows)) delete headWindows[k as string];
}
