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
import { emit, getPreviewBytes, nextId, now } from './context';
import { nativeGetter, read } from './dom';
import { adoptRefusedEventSource, rewriteEventSourceArgs } from './faults';
import { safely } from './guard';
import { wrapConstructor, wrapMethod } from './native-look';
import { apply, NativeWeakMap, nullObject, slice, wmGet, wmSet } from './natives';
import { textPreview, utf8Length } from './text';

interface Tracked {
  id: number;
  readyState: number;
  /** Reconnect attempts so far (errors after which the browser reconnects). */
  reconnects: number;
  /** Event types we listen to on this instance (null-prototype set). */
  observed: Record<string, true>;
  listener: (event: Event) => void;
}

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
    apply(addEventListener, es, [type, t.listener]);
  }

  function onEvent(es: object, t: Tracked, event: Event): void {
    if (!event.isTrusted) return; // page-dispatched synthetic events are the page's own business
    const type = read(get.type, event) as string;
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
      message(t, event, type, data, at);
      return;
    }
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
    }
  }

  function message(t: Tracked, event: Event, type: string, data: unknown, at: number): void {
    const text = typeof data === 'string' ? data : '';
    const lastEventId = read(get.lastEventId, event);
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
    const t: Tracked = {
      id,
      readyState: readyStateOf(es),
      reconnects: 0,
      observed: nullObject<Record<string, true>>(),
      listener: (event: Event) => safely('es:event', () => onEvent(es, t, event)),
    };
    wmSet(tracked, es, t);
    // A refused attempt (fault injection) was built on a data: URL; it reports the page's URL.
    const url = adoptRefusedEventSource(es) ?? read(get.url, es);
    emit({
      kind: 'es:create',
      t: now(),
      id,
      url: typeof url === 'string' ? slice(url, 0, LIMITS.maxUrl) : '',
      withCredentials: read(get.withCredentials, es) === true,
    });
    observe(es, t, 'open');
    observe(es, t, 'error');
    observe(es, t, 'message');
  }

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
