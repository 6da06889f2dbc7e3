/**
 * EventSource instrumentation.
 *
 * The page's listeners are never wrapped or called by us: native dispatch
 * still calls them, so `this`, `target`, `currentTarget`, `handleEvent`,
 * `once`, `signal`, the order of listeners, `on*` identity and the reporting
 * of exceptions thrown by page listeners are all untouched. We add our own
 * observing listener to each instance:
 *  - at construction, for `open`, `error` and `message` (added first, so it
 *    reads `readyState` right after the transition, before page code runs);
 *  - for a named event type, when the page first adds a listener for it
 *    (just before the page's listener, so ours sees it first).
 * Named events nobody listens to are not delivered to any page-observable
 * place, and there is no way to see them from inside the page without
 * changing the connection; see docs/instrumentation.md.
 */
import { LIMITS } from '../shared/constants';
import { emit, getMessageLogRate, getPreviewBytes, nextId, now } from './context';
import { admit, countMessage, createGate, messageSummary, settle, type SourceGate } from './gate';
import { bag, nativeGetter, read } from './dom';
import { isEventStream } from './fetch-headers';
import {
  adoptRefusedEventSource,
  announce,
  delayOf,
  holdBack,
  isHolding,
  markApplied,
  onFaultsChanged,
  refuseReconnect,
  rewriteEventSourceArgs,
  takeOneShots,
  type ActiveFault,
} from './faults';
import { guarded, safely } from './guard';
import { wrapConstructor, wrapGetter, wrapMethod } from './native-look';
import { apply, construct, dateNow, isObjectLike, NativeWeakMap, nullObject, observe as observePromise, slice, wmGet, wmSet } from './natives';
import { createSseStream } from './sse-stream';
import { textPreview, utf8Length } from './text';

interface Tracked {
  id: number;
  readyState: number;
  /** Reconnect attempts so far (errors after which the browser reconnects). */
  reconnects: number;
  /** Event types we listen to on this instance (null-prototype set). */
  observed: Record<string, true>;
  /** Our listener for `open` and `error` (state changes, or messages a server named so). */
  listener: (event: Event) => void;
  /** Our listener for `message` and the named types: always a MessageEvent when trusted. */
  messageListener: (event: Event) => void;
  /** Page-visible URL (a refused attempt's original URL). */
  url: string;
  withCredentials: boolean;
  /** Fault injection took over this connection (docs/faults.md), else null. */
  emu: Emulation | null;
  /** Delayed deliveries not yet made (delay fault), oldest first. */
  delayed: { due: number; send: () => void }[];
  /** Last event id seen (kept for a fault's reconnect); see `lastEvent`. */
  lastEventId: string;
  /**
   * The last message counted (not logged), whose `lastEventId` is not read
   * yet: it is read only when it is needed (the summary, a fault), not for
   * every message, since each read makes a string the page never asked for.
   */
  lastEvent: Event | null;
  /** The message log rate of this connection (gate.ts). */
  gate: SourceGate;
}

/**
 * A connection whose stream a fault dropped or ended: the native instance is
 * closed for good, and we behave as the browser would: readyState
 * CONNECTING, an `error` event, a reconnect after the reconnection time with
 * Last-Event-ID, `open`, the events, and so on, until the page closes it.
 * Events we deliver are synthetic (`isTrusted` false).
 */
interface Emulation {
  readyState: ReadyState;
  lastEventId: string;
  retryMs: number;
  abort: AbortController | null;
  closed: boolean;
}

/** Chromium's default reconnection time. */
const DEFAULT_RETRY_MS = 3000;

type ReadyState = 0 | 1 | 2;

export function installEventSource(win: Window & typeof globalThis, addEventListener: EventTarget['addEventListener']): void {
  const NativeEventSource = win.EventSource;
  if (typeof NativeEventSource !== 'function') return;
  const proto = NativeEventSource.prototype;
  const get = {
    url: nativeGetter(proto, 'url'),
    withCredentials: nativeGetter(proto, 'withCredentials'),
    readyState: nativeGetter(proto, 'readyState'),
    type: nativeGetter(win.Event.prototype, 'type'),
    data: nativeGetter(win.MessageEvent.prototype, 'data'),
    lastEventId: nativeGetter(win.MessageEvent.prototype, 'lastEventId'),
  };
  const tracked: WeakMap<object, Tracked> = new NativeWeakMap();

  function readyStateOf(es: object): ReadyState {
    const rs = read(get.readyState, es);
    return rs === 1 || rs === 2 ? rs : 0;
  }

  function observe(es: object, t: Tracked, type: string): void {
    if (t.observed[type]) return;
    t.observed[type] = true;
    apply(addEventListener, es, [type, type === 'open' || type === 'error' ? t.listener : t.messageListener]);
  }

  /** The connection's last event id, reading the last counted message's if it is still unread. */
  function lastIdOf(t: Tracked): string {
    const event = t.lastEvent;
    if (event) {
      t.lastEvent = null;
      const id = read(get.lastEventId, event);
      if (typeof id === 'string') t.lastEventId = id;
    }
    return t.lastEventId;
  }

  /** A trusted `message` or named event: a MessageEvent (the browser dispatches nothing else under those types). */
  function onMessage(es: object, t: Tracked, event: Event): void {
    if (!event.isTrusted) return;
    const at = now();
    let data: unknown;
    try {
      data = read(get.data, event);
    } catch {
      return; // not a MessageEvent after all: nothing of ours to record
    }
    message(t, event, data, at);
    intercept(es as EventSource, t, event, data);
  }

  function onEvent(es: object, t: Tracked, event: Event): void {
    if (!event.isTrusted) return; // page-dispatched synthetic events are the page's own business
    const at = now();
    // A server can name an event "open" or "error" (`event: error`): that is a
    // MessageEvent with data, not a state change. Tell them apart by brand.
    let data: unknown;
    let isMessage = true;
    try {
      data = read(get.data, event);
    } catch {
      isMessage = false;
    }
    if (isMessage) {
      // The type is read only when it is needed (a message logged, or a fault): a read per message costs.
      message(t, event, data, at);
      intercept(es as EventSource, t, event, data);
      return;
    }
    const type = read(get.type, event) as string;
    settle(t.gate);
    if (type === 'open') {
      t.readyState = 1;
      emit({ kind: 'es:open', t: at, id: t.id });
      emit({ kind: 'es:state', t: at, id: t.id, readyState: 1 });
      return;
    }
    if (type === 'error') {
      const rs = readyStateOf(es);
      if (rs === 0) t.reconnects++;
      emit({ kind: 'es:error', t: at, id: t.id, readyState: rs, reconnects: t.reconnects });
      // readyState 0 after an error means the browser will reconnect: one
      // es:state 0 per attempt, also when it was connecting already.
      if (rs === 0 || rs !== t.readyState) emit({ kind: 'es:state', t: at, id: t.id, readyState: rs });
      t.readyState = rs;
      if (rs === 2) delete byId[t.id];
    }
  }

  function message(t: Tracked, event: Event, data: unknown, at: number): void {
    const text = typeof data === 'string' ? data : '';
    if (!admit(t.gate, at, getMessageLogRate())) {
      // Its last event id is read when the summary goes (the gate's send), or when a fault needs it.
      t.lastEvent = event;
      countMessage(t.gate, at, utf8Length(text), t.lastEventId);
      return;
    }
    // admit() sent the pending summary (with the last counted message's id); now this message's own id.
    t.lastEvent = null;
    const lastEventId = read(get.lastEventId, event);
    if (typeof lastEventId === 'string') t.lastEventId = lastEventId;
    const type = read(get.type, event) as string;
    emit({
      kind: 'es:message',
      t: at,
      id: t.id,
      type: slice(type, 0, LIMITS.maxName),
      preview: textPreview(text, getPreviewBytes()),
      size: utf8Length(text),
      lastEventId: typeof lastEventId === 'string' ? slice(lastEventId, 0, LIMITS.maxName) : '',
    });
  }

  function created(es: EventSource): void {
    const id = nextId();
    // A refused attempt (fault injection) was built on a data: URL; it reports the page's URL.
    const url = adoptRefusedEventSource(es) ?? read(get.url, es);
    const withCredentials = read(get.withCredentials, es) === true;
    const t: Tracked = {
      id,
      readyState: readyStateOf(es),
      reconnects: 0,
      observed: nullObject<Record<string, true>>(),
      listener: guarded('es:event', (event: Event) => onEvent(es, t, event)),
      messageListener: guarded('es:message', (event: Event) => onMessage(es, t, event)),
      url: typeof url === 'string' ? url : '',
      withCredentials,
      emu: null,
      delayed: [],
      lastEventId: '',
      lastEvent: null,
      gate: createGate((g) => {
        g.lastEventId = lastIdOf(t);
        emit(messageSummary('es:message-summary', id, g));
      }),
    };
    wmSet(tracked, es, t);
    byId[id] = es;
    emit({
      kind: 'es:create',
      t: now(),
      id,
      url: slice(t.url, 0, LIMITS.maxUrl),
      withCredentials,
    });
    observe(es, t, 'open');
    observe(es, t, 'error');
    observe(es, t, 'message');
  }

  // ---- fault injection (docs/faults.md); nothing below runs without a fault ----
  const nativeClose = proto.close;
  const nativeFetch = win.fetch;
  const NativeEvent = win.Event;
  const NativeMessageEvent = win.MessageEvent;
  const NativeAbortController = win.AbortController;
  const abortNow = win.AbortController.prototype.abort;
  const signalOf = nativeGetter(win.AbortController.prototype, 'signal');
  const dispatch = win.EventTarget.prototype.dispatchEvent;
  const stopImmediate = win.Event.prototype.stopImmediatePropagation;
  const setTimer = win.setTimeout;
  const responseGet = {
    status: nativeGetter(win.Response.prototype, 'status'),
    headers: nativeGetter(win.Response.prototype, 'headers'),
    body: nativeGetter(win.Response.prototype, 'body'),
  };
  const headersGet = win.Headers.prototype.get;
  const getReader = win.ReadableStream.prototype.getReader;
  const readerRead = win.ReadableStreamDefaultReader.prototype.read;
  const readerCancel = win.ReadableStreamDefaultReader.prototype.cancel;
  const originOf = (url: string): string => {
    try {
      return (construct(win.URL, [url]) as URL).origin;
    } catch {
      return '';
    }
  };
  /** Open connections by page id, for drop / end faults. */
  const byId: Record<number, EventSource> = nullObject();
  let readyStateWrapped = false;

  function ensureReadyStateGetter(): void {
    if (readyStateWrapped) return;
    readyStateWrapped = true;
    wrapGetter(proto, 'readyState', (thisArg) => {
      const t = isObjectLike(thisArg) ? wmGet(tracked, thisArg) : undefined;
      return t && t.emu ? { value: t.emu.readyState } : null;
    });
  }

  function fire(es: EventSource, event: Event): void {
    try {
      apply(dispatch, es, [event]);
    } catch {
      // dispatchEvent reports listener exceptions itself; nothing reaches us.
    }
  }

  /** Deliver a message now, later (delay), or when the hold ends; in arrival order. */
  function deliver(t: Tracked, send: () => void): void {
    const d = delayOf(t.id);
    if (d) announce(d);
    const due = dateNow() + (d ? d.delayMs : 0);
    if (t.delayed.length === 0 && !d) {
      if (isHolding()) holdBack(send);
      else send();
      return;
    }
    t.delayed[t.delayed.length] = { due, send };
    if (t.delayed.length === 1) pumpDelayed(t);
  }

  function pumpDelayed(t: Tracked): void {
    const head = t.delayed[0];
    if (!head) return;
    const wait = head.due - dateNow();
    if (wait > 0) {
      apply(setTimer, win, [() => safely('es:delay', () => pumpDelayed(t)), wait]);
      return;
    }
    const rest: Tracked['delayed'] = [];
    for (let i = 1; i < t.delayed.length; i++) rest[i - 1] = t.delayed[i] as Tracked['delayed'][number];
    t.delayed = rest;
    if (isHolding()) holdBack(head.send);
    else head.send();
    pumpDelayed(t);
  }

  /** A trusted event the page has not seen yet: hold it back or delay it when a fault says so. */
  function intercept(es: EventSource, t: Tracked, event: Event, data: unknown): boolean {
    if (!isHolding() && !delayOf(t.id) && t.delayed.length === 0) return false;
    const type = read(get.type, event) as string;
    apply(stopImmediate, event, []);
    const lastEventId = read(get.lastEventId, event);
    const origin = originOf(t.url);
    const init = bag({ data, lastEventId: typeof lastEventId === 'string' ? lastEventId : '', origin });
    deliver(t, () => fire(es, new NativeMessageEvent(type, init)));
    return true;
  }

  function emuError(es: EventSource, t: Tracked, rs: ReadyState): void {
    const emu = t.emu as Emulation;
    emu.readyState = rs;
    settle(t.gate);
    const at = now();
    if (rs === 0) t.reconnects++;
    emit({ kind: 'es:error', t: at, id: t.id, readyState: rs, reconnects: t.reconnects });
    emit({ kind: 'es:state', t: at, id: t.id, readyState: rs });
    t.readyState = rs;
    if (rs === 2) delete byId[t.id];
    fire(es, new NativeEvent('error'));
    if (rs === 0 && !emu.closed) {
      apply(setTimer, win, [() => safely('es:reconnect', () => reconnect(es, t)), emu.retryMs]);
    }
  }

  /** Take a connection over (drop / end): the native stream is closed; the page sees a reconnect. */
  function breakStream(es: EventSource, t: Tracked, f: ActiveFault): void {
    if (t.readyState === 2 && !t.emu) return;
    markApplied(f, f.kind === 'end' ? 'end' : 'drop', t.url);
    if (!t.emu) {
      ensureReadyStateGetter();
      t.emu = { readyState: 0, lastEventId: lastIdOf(t), retryMs: DEFAULT_RETRY_MS, abort: null, closed: false };
      apply(nativeClose, es, []);
    } else if (t.emu.abort) {
      const a = t.emu.abort;
      t.emu.abort = null;
      apply(abortNow, a, []);
    }
    if (t.emu.readyState === 2) return;
    emuError(es, t, 0);
  }

  function reconnect(es: EventSource, t: Tracked): void {
    const emu = t.emu;
    if (!emu || emu.closed || emu.readyState !== 0) return;
    if (refuseReconnect(t.url)) {
      // A reconnect refused (not 200): the browser fails the connection for good.
      emuError(es, t, 2);
      return;
    }
    const controller = new NativeAbortController();
    emu.abort = controller;
    const headers = nullObject<Record<string, string>>();
    headers['accept'] = 'text/event-stream';
    headers['cache-control'] = 'no-cache';
    if (emu.lastEventId !== '') headers['last-event-id'] = emu.lastEventId;
    const request = apply(nativeFetch, win, [
      t.url,
      bag({ headers, credentials: t.withCredentials ? 'include' : 'same-origin', cache: 'no-store', signal: read(signalOf, controller) }),
    ]) as Promise<Response>;
    const current = (): boolean => emu.abort === controller && !emu.closed;
    observePromise(
      request,
      (response) =>
        safely('es:reconnect', () => {
          if (!current()) return;
          const status = read(responseGet.status, response);
          const type = apply(headersGet, read(responseGet.headers, response), ['content-type']);
          const body = read(responseGet.body, response) as ReadableStream<Uint8Array> | null;
          if (status !== 200 || !isEventStream(type) || !body) {
            emu.abort = null;
            emuError(es, t, 2);
            return;
          }
          emu.readyState = 1;
          t.readyState = 1;
          settle(t.gate);
          const at = now();
          emit({ kind: 'es:open', t: at, id: t.id });
          emit({ kind: 'es:state', t: at, id: t.id, readyState: 1 });
          fire(es, new NativeEvent('open'));
          pump(es, t, controller, apply(getReader, body, []) as ReadableStreamDefaultReader<Uint8Array>);
        }),
      () =>
        safely('es:reconnect', () => {
          if (!current()) return;
          emu.abort = null;
          emuError(es, t, 0); // a network error: try again
        }),
    );
  }

  function pump(es: EventSource, t: Tracked, controller: AbortController, reader: ReadableStreamDefaultReader<Uint8Array>): void {
    const emu = t.emu as Emulation;
    const origin = originOf(t.url);
    const sse = createSseStream((event) => {
      if (emu.abort !== controller || emu.closed) return;
      if (event.lastEventId !== undefined) emu.lastEventId = event.lastEventId;
      t.lastEventId = emu.lastEventId;
      const at = now();
      if (!admit(t.gate, at, getMessageLogRate())) countMessage(t.gate, at, utf8Length(event.data), emu.lastEventId);
      else emit({
        kind: 'es:message',
        t: at,
        id: t.id,
        type: slice(event.type, 0, LIMITS.maxName),
        preview: textPreview(event.data, getPreviewBytes()),
        size: utf8Length(event.data),
        lastEventId: slice(emu.lastEventId, 0, LIMITS.maxName),
      });
      const id = emu.lastEventId;
      const init = bag({ data: event.data, lastEventId: id, origin });
      deliver(t, () => {
        if (!emu.closed) fire(es, new NativeMessageEvent(event.type, init));
      });
    });
    const step = (): void => {
      observePromise(
        apply(readerRead, reader, []) as Promise<ReadableStreamReadResult<Uint8Array>>,
        (result) =>
          safely('es:read', () => {
            if (emu.abort !== controller || emu.closed) return;
            if (sse.retryMs !== null) emu.retryMs = sse.retryMs;
            if (result.done) {
              sse.end();
              emu.abort = null;
              emuError(es, t, 0); // the server closed it: reconnect
              return;
            }
            sse.push(result.value);
            if (sse.retryMs !== null) emu.retryMs = sse.retryMs;
            step();
          }),
        () =>
          safely('es:read', () => {
            if (emu.abort !== controller || emu.closed) return;
            emu.abort = null;
            emuError(es, t, 0);
          }),
      );
    };
    apply(addEventListener, read(signalOf, controller), [
      'abort',
      () => observePromise(apply(readerCancel, reader, []) as Promise<void>, noop, noop),
    ]);
    step();
  }

  onFaultsChanged(() =>
    safely('es:faults', () => {
      const shots = takeOneShots();
      for (let i = 0; i < shots.length; i++) {
        const f = shots[i] as ActiveFault;
        const es = f.conn !== null ? byId[f.conn] : undefined;
        const t = es ? wmGet(tracked, es) : undefined;
        if (es && t) breakStream(es, t, f);
      }
    }),
  );

  wrapConstructor<typeof EventSource>(
    win,
    'EventSource',
    (es) => safely('es:create', () => created(es)),
    (args) => safely('es:fault', () => rewriteEventSourceArgs(args)) ?? null,
  );

  wrapMethod(proto, 'close', {
    after(thisArg, _args, result) {
      safely('es:close', () => {
        const t = typeof thisArg === 'object' && thisArg !== null ? wmGet(tracked, thisArg) : undefined;
        if (!t) return;
        delete byId[t.id];
        if (t.emu) {
          // A connection a fault took over: stop our reconnects and reads.
          t.emu.closed = true;
          t.emu.readyState = 2;
          const a = t.emu.abort;
          t.emu.abort = null;
          if (a) apply(abortNow, a, []);
        }
        settle(t.gate);
        const at = now();
        emit({ kind: 'es:close', t: at, id: t.id });
        if (t.readyState !== 2) emit({ kind: 'es:state', t: at, id: t.id, readyState: 2 });
        t.readyState = 2;
      });
      return result;
    },
  });

  /** Called by the shared addEventListener wrapper before the native call. */
  beforeAddListener = (target, type) => {
    const t = wmGet(tracked, target);
    if (t && typeof type === 'string') observe(target, t, type);
  };
}

/** Hook for the EventTarget.prototype.addEventListener wrapper. */
export let beforeAddListener: ((target: object, type: unknown) => void) | null = null;

function noop(): void {
  // Our own reader's cancel promise: nothing to do either way.
}
