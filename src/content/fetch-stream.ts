/**
 * fetch-based SSE: responses whose content type is text/event-stream.
 *
 * `fetch` is wrapped; the page gets a promise derived from the native one
 * that resolves with the very same Response. Before the page sees it, an
 * event-stream response is cloned (the browser's own tee) and the clone is
 * read and parsed; the page reads its body exactly as before.
 *
 * When the page stops reading for good (reader.cancel(), body.cancel(),
 * leaving a for-await loop, or an abort of the fetch), our clone is cancelled
 * too, so the connection closes when it would have closed without us. A
 * response the page drops without cancelling is cancelled once it is garbage
 * collected. Known gap: a cancel that only happens inside a pipe
 * (pipeTo/pipeThrough) is seen by that garbage-collection path only.
 */
import { LIMITS } from '../shared/constants';
import { emit, getMessageLogRate, getPreviewBytes, nextId, now } from './context';
import { admit, countMessage, createGate, messageSummary, settle } from './gate';
import { nativeGetter, read } from './dom';
import { activeFaults, announce, delayOf, holdBack, isHolding, markApplied, onFaultsChanged, refuseFetch, takeOneShots, type ActiveFault } from './faults';
import { safely } from './guard';
import { HeaderPicker, isEventStream, normalizeMethod } from './fetch-headers';
import { dataProperty } from './lock-options';
import { replaceValue, wrapMethod } from './native-look';
import {
  apply,
  construct,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  isObjectLike,
  NativePromise,
  NativeWeakMap,
  NativeWeakSet,
  nullObject,
  ownKeys,
  slice,
  observe,
  wmGet,
  wmSet,
  wsAdd,
  wsHas,
} from './natives';
import { createSseStream } from './sse-stream';
import { cleanStack } from './stack';
import { textPreview, utf8Length } from './text';

interface Stream {
  id: number;
  ended: boolean;
  cancel: (reason?: 'done' | 'error' | 'abort') => void;
  /** The page's body and readers of it (for drop / end faults). */
  pageBody: object | null;
  pageReaders: object[];
  url: string;
}

export function installFetch(win: Window & typeof globalThis): void {
  if (typeof win.fetch !== 'function' || typeof win.Response !== 'function') return;
  const responseProto = win.Response.prototype;
  const get = {
    headers: nativeGetter(responseProto, 'headers'),
    status: nativeGetter(responseProto, 'status'),
    url: nativeGetter(responseProto, 'url'),
    body: nativeGetter(responseProto, 'body'),
    requestMethod: win.Request ? nativeGetter(win.Request.prototype, 'method') : null,
    domExceptionName: win.DOMException ? nativeGetter(win.DOMException.prototype, 'name') : null,
  };
  const clone = responseProto.clone;
  const headersGet = win.Headers.prototype.get;
  const headersForEach = win.Headers.prototype.forEach;
  const streamProto = win.ReadableStream.prototype;
  const getReader = streamProto.getReader;
  const defaultReaderProto = win.ReadableStreamDefaultReader.prototype;
  const read_ = defaultReaderProto.read;
  const readerCancel = defaultReaderProto.cancel;
  const promiseThen = NativePromise.prototype.then;
  const streamCancel = streamProto.cancel;
  const lockedOf = nativeGetter(streamProto, 'locked');
  const NativeTypeError = win.TypeError;
  const promiseReject = NativePromise.reject;
  /** Open instrumented streams by page id, for drop / end faults. */
  const byId: Record<number, Stream> = nullObject();
  /** Page readers of dropped streams: their reads fail as after a network error. */
  const dropped: WeakSet<object> = new NativeWeakSet();
  let readWrapped = false;
  const setTimer = win.setTimeout;
  const Registry = typeof win.FinalizationRegistry === 'function' ? win.FinalizationRegistry : null;

  /** Page-visible streams and readers of instrumented bodies -> our clone. */
  const byPageObject: WeakMap<object, Stream> = new NativeWeakMap();
  const collected = Registry ? new Registry<Stream>((s) => safely('fetch:gc', () => s.cancel())) : null;

  function methodOf(args: unknown[]): string {
    let method: unknown = 'GET';
    const input = args[0];
    if (isObjectLike(input) && get.requestMethod) {
      try {
        method = read(get.requestMethod, input);
      } catch {
        // Not a Request (a URL or a string-like object).
      }
    }
    const init = args[1];
    if (isObjectLike(init)) {
      const m = dataProperty(init, 'method');
      if (m && m.value !== undefined) method = m.value;
    }
    return normalizeMethod(method);
  }

  function endReason(error: unknown): 'error' | 'abort' {
    if (!get.domExceptionName || !isObjectLike(error)) return 'error';
    try {
      return read(get.domExceptionName, error) === 'AbortError' ? 'abort' : 'error';
    } catch {
      return 'error';
    }
  }

  function inspect(response: Response, method: string): void {
    const headers = read(get.headers, response) as Headers;
    if (!isEventStream(apply(headersGet, headers, ['content-type']))) return;
    const copy = apply(clone, response, []) as Response;
    const body = read(get.body, copy) as ReadableStream<Uint8Array> | null;
    if (!body) return;
    const id = nextId();
    const picker = new HeaderPicker();
    apply(headersForEach, headers, [(value: string, name: string) => picker.add(name, value)]);
    const url = read(get.url, response);
    emit({
      kind: 'fetch:open',
      t: now(),
      id,
      url: typeof url === 'string' ? slice(url, 0, LIMITS.maxUrl) : '',
      method,
      status: read(get.status, response) as number,
      headers: picker.headers,
    });
    const reader = apply(getReader, body, []) as ReadableStreamDefaultReader<Uint8Array>;
    const stream: Stream = {
      id,
      ended: false,
      pageBody: null,
      pageReaders: [],
      url: typeof url === 'string' ? url : '',
      cancel(reason) {
        if (stream.ended) return;
        finish(reason ?? 'abort');
        observe(apply(readerCancel, reader, []) as Promise<void>, noop, noop);
      },
    };
    const gate = createGate((g) => emit(messageSummary('fetch:message-summary', id, g)));
    const sse = createSseStream((event) => {
      const at = now();
      if (!admit(gate, at, getMessageLogRate())) return countMessage(gate, at, utf8Length(event.data), event.lastEventId);
      emit({
        kind: 'fetch:message',
        t: at,
        id,
        type: slice(event.type, 0, LIMITS.maxName),
        preview: textPreview(event.data, getPreviewBytes()),
        size: utf8Length(event.data),
        lastEventId: slice(event.lastEventId, 0, LIMITS.maxName),
      });
    });
    function finish(reason: 'done' | 'error' | 'abort'): void {
      if (stream.ended) return;
      stream.ended = true;
      delete byId[id];
      settle(gate);
      emit({ kind: 'fetch:end', t: now(), id, reason });
    }
    const pageBody = read(get.body, response);
    byId[id] = stream;
    if (isObjectLike(pageBody)) {
      stream.pageBody = pageBody;
      wmSet(byPageObject, pageBody, stream);
      collected?.register(pageBody, stream);
    }
    const pump = (): void => {
      observe(
        apply(read_, reader, []) as Promise<ReadableStreamReadResult<Uint8Array>>,
        (result) =>
          safely('fetch:read', () => {
            if (stream.ended) return;
            if (result.done) {
              sse.end();
              finish('done');
              return;
            }
            sse.push(result.value);
            pump();
          }),
        (error) => safely('fetch:read', () => finish(endReason(error))),
      );
    };
    pump();
  }

  // ---- fault injection (docs/faults.md): drop / end a stream the page reads ----
  function ensureReadWrapper(): void {
    if (readWrapped) return;
    readWrapped = true;
    wrapMethod(defaultReaderProto, 'read', {
      instead: (thisArg) =>
        safely('fetch:fault-read', () => {
          if (!isObjectLike(thisArg)) return null;
          if (wsHas(dropped, thisArg)) return { value: apply(promiseReject, NativePromise, [construct(NativeTypeError, ['network error'])]) };
          const s = wmGet(byPageObject, thisArg);
          if (s && !s.ended && isHolding()) {
            // Hold: what the page reads now is handed over when the hold ends, in order with the tab's other held deliveries.
            const held = apply(read_, thisArg, []) as Promise<ReadableStreamReadResult<Uint8Array>>;
            return {
              value: new NativePromise<ReadableStreamReadResult<Uint8Array>>((resolve, reject) =>
                observe(
                  held,
                  (result) => (isHolding() ? holdBack(() => resolve(result)) : resolve(result)),
                  (error) => (isHolding() ? holdBack(() => reject(error)) : reject(error)),
                ),
              ),
            };
          }
          const d = s && !s.ended ? delayOf(s.id) : null;
          if (!d) return null;
          // Delay: the page's read settles `delayMs` after the native one did, with the same result.
          announce(d);
          const nativeRead = apply(read_, thisArg, []) as Promise<ReadableStreamReadResult<Uint8Array>>;
          const later = (fn: () => void): void => {
            apply(setTimer, win, [fn, d.delayMs]);
          };
          return {
            value: new NativePromise<ReadableStreamReadResult<Uint8Array>>((resolve, reject) =>
              observe(
                nativeRead,
                (result) => later(() => resolve(result)),
                (error) => later(() => reject(error)),
              ),
            ),
          };
        }) ?? null,
    });
  }

  /** End (done) or drop (network error) the page's view of a stream; the connection closes. */
  function breakStream(s: Stream, f: ActiveFault): void {
    markApplied(f, f.kind === 'end' ? 'end' : 'drop', s.url);
    if (f.kind === 'drop') ensureReadWrapper();
    // A read already pending ends as `done` (a native body cannot be made to fail from here);
    // later reads of a dropped stream fail with TypeError: network error.
    for (let i = 0; i < s.pageReaders.length; i++) {
      const reader = s.pageReaders[i] as object;
      if (f.kind === 'drop') wsAdd(dropped, reader);
      observe(apply(readerCancel, reader, []) as Promise<void>, noop, noop);
    }
    if (s.pageReaders.length === 0 && s.pageBody && read(lockedOf, s.pageBody) !== true) {
      observe(apply(streamCancel, s.pageBody, []) as Promise<void>, noop, noop);
    }
    s.cancel(f.kind === 'end' ? 'done' : 'error'); // our clone: the connection closes, as when the server or the network ends it
  }

  onFaultsChanged(() =>
    safely('fetch:faults', () => {
      const list = activeFaults();
      for (let i = 0; i < list.length; i++) {
        const f = list[i] as ActiveFault;
        if (f.kind === 'delay' && f.conn !== null && byId[f.conn]) ensureReadWrapper();
        if (f.kind === 'hold' && ownKeys(byId).length > 0) ensureReadWrapper();
      }
      const shots = takeOneShots();
      for (let i = 0; i < shots.length; i++) {
        const f = shots[i] as ActiveFault;
        const s = f.conn !== null ? byId[f.conn] : undefined;
        if (s && !s.ended) breakStream(s, f);
      }
    }),
  );

  wrapMethod(win, 'fetch', {
    // Fault injection only: a refused attempt is answered without the network (faults.ts).
    instead: (_thisArg, args) => safely('fetch:fault', () => refuseFetch(args)) ?? null,
    after(_thisArg, args, result) {
      const derived = safely('fetch', () => {
        if (!isObjectLike(result) || getPrototypeOf(result) !== NativePromise.prototype) return undefined;
        const method = methodOf(args);
        // A failed fetch still rejects the promise the page holds (with the
        // same reason), and reaches unhandledrejection if the page ignores it.
        return apply(promiseThen, result, [
          (response: Response) => {
            safely('fetch:inspect', () => inspect(response, method));
            return response;
          },
          (reason: unknown) => {
            // A TypeError made synchronously inside our trap (bad URL) carries our frame.
            cleanStack(reason);
            throw reason;
          },
        ]) as Promise<Response>;
      });
      return derived ?? result;
    },
  });

  // Follow the page's own cancels of instrumented bodies.
  const streamOf = (thisArg: unknown): Stream | undefined =>
    isObjectLike(thisArg) ? wmGet(byPageObject, thisArg) : undefined;
  const cancelOurs = (thisArg: unknown) =>
    safely('fetch:cancel', () => {
      streamOf(thisArg)?.cancel();
    });
  const lockedGetter = nativeGetter(streamProto, 'locked');
  wrapMethod(streamProto, 'cancel', {
    // A locked stream's cancel() rejects and cancels nothing: then neither do we.
    before: (thisArg) =>
      safely('fetch:cancel', () => {
        const s = streamOf(thisArg);
        if (s && read(lockedGetter, thisArg) !== true) s.cancel();
      }),
  });
  wrapMethod(defaultReaderProto, 'cancel', { before: cancelOurs });
  if (win.ReadableStreamBYOBReader) wrapMethod(win.ReadableStreamBYOBReader.prototype, 'cancel', { before: cancelOurs });
  wrapMethod(streamProto, 'getReader', {
    after(thisArg, _args, reader) {
      safely('fetch:reader', () => {
        const s = streamOf(thisArg);
        if (s && isObjectLike(reader)) {
          wmSet(byPageObject, reader, s);
          s.pageReaders[s.pageReaders.length] = reader;
        }
      });
      return reader;
    },
  });
  // for await (const chunk of body) { break } cancels through the iterator's return().
  const iteratorFactory = getOwnPropertyDescriptor(streamProto, 'values')?.value as (() => object) | undefined;
  if (typeof iteratorFactory === 'function') {
    const aliased = getOwnPropertyDescriptor(streamProto, Symbol.asyncIterator)?.value === iteratorFactory;
    const proxy = wrapMethod(streamProto, 'values', {
      after(thisArg: unknown, args: unknown[], iterator: unknown) {
        safely('fetch:iterator', () => {
          const s = streamOf(thisArg);
          const options = args[0];
          const preventCancel = isObjectLike(options) ? dataProperty(options, 'preventCancel') : null;
          if (preventCancel && preventCancel.value) return; // return() will not cancel the body
          if (s && isObjectLike(iterator)) wmSet(byPageObject, iterator, s);
        });
        return iterator;
      },
    });
    // values and [Symbol.asyncIterator] are one function natively; keep it so.
    if (proxy && aliased) replaceValue(streamProto, Symbol.asyncIterator, proxy);
    const sample = safely('fetch:iterator', () => getPrototypeOf(apply(iteratorFactory, new win.ReadableStream(), [])) as object);
    if (sample) wrapMethod(sample, 'return', { before: cancelOurs });
  }
}

function noop(): void {
  // Our own reader's cancel promise: nothing to do either way.
}
