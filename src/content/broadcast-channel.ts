/**
 * BroadcastChannel instrumentation: creation, postMessage, received messages,
 * messageerror and close(). As for EventSource, page listeners stay native;
 * we add one observing listener per channel for `message` and `messageerror`.
 *
 * Posted values are previewed only after the native postMessage accepted
 * them: a value that structured-cloned cannot be a Proxy, so the walk in
 * preview.ts runs no page code. A post that throws is not recorded (the page
 * sees the same DataCloneError / InvalidStateError as without us).
 */
import { LIMITS } from '../shared/constants';
import { emit, getMessageLogRate, getPreviewBytes, nextId, now } from './context';
import { admit, countMessage, createGate, settle, type SourceGate } from './gate';
import { nativeGetter, read } from './dom';
import { holdBack, isHolding } from './faults';
import { guarded, safely } from './guard';
import { wrapConstructor, wrapMethod } from './native-look';
import { apply, NativeWeakMap, slice, wmGet, wmSet } from './natives';
import { valuePreview } from './preview';

interface Tracked {
  id: number;
  closed: boolean;
  /** The message log rate of posts and of receipts (gate.ts). */
  posts: SourceGate;
  receipts: SourceGate;
}

export function installBroadcastChannel(win: Window & typeof globalThis, addEventListener: EventTarget['addEventListener']): void {
  const NativeBroadcastChannel = win.BroadcastChannel;
  if (typeof NativeBroadcastChannel !== 'function') return;
  const proto = NativeBroadcastChannel.prototype;
  const get = {
    name: nativeGetter(proto, 'name'),
    data: nativeGetter(win.MessageEvent.prototype, 'data'),
  };
  const tracked: WeakMap<object, Tracked> = new NativeWeakMap();

  function trackedOf(thisArg: unknown): Tracked | undefined {
    return typeof thisArg === 'object' && thisArg !== null ? wmGet(tracked, thisArg) : undefined;
  }

  function onMessageError(t: Tracked, event: Event): void {
    if (!event.isTrusted) return;
    settle(t.receipts);
    emit({ kind: 'bc:messageerror', t: now(), id: t.id });
  }

  function onMessage(t: Tracked, event: Event): void {
    if (!event.isTrusted) return;
    const at = now();
    // Over the rate the data is not even read: reading it would deserialize it.
    if (!admit(t.receipts, at, getMessageLogRate())) return countMessage(t.receipts, at, 0, '');
    const { preview, size } = valuePreview(read(get.data, event), getPreviewBytes());
    emit({ kind: 'bc:receive', t: at, id: t.id, size, preview });
  }

  function created(channel: BroadcastChannel): void {
    const id = nextId();
    const t: Tracked = {
      id,
      closed: false,
      posts: createGate((g) => emit({ kind: 'bc:post-summary', t: g.last, id, count: g.count, since: g.since })),
      receipts: createGate((g) => emit({ kind: 'bc:receive-summary', t: g.last, id, count: g.count, since: g.since })),
    };
    wmSet(tracked, channel, t);
    const name = read(get.name, channel);
    emit({ kind: 'bc:create', t: now(), id: t.id, name: typeof name === 'string' ? slice(name, 0, LIMITS.maxName) : '' });
    // One listener per type: no read of the event's type for every message.
    apply(addEventListener, channel, ['message', guarded('bc:event', (event: Event) => onMessage(t, event))]);
    apply(addEventListener, channel, ['messageerror', guarded('bc:event', (event: Event) => onMessageError(t, event))]);
  }

  wrapConstructor<typeof BroadcastChannel>(win, 'BroadcastChannel', (channel) =>
    safely('bc:create', () => created(channel)),
  );

  /** A post the native postMessage accepted. */
  function posted(thisArg: unknown, message: unknown): void {
    const t = trackedOf(thisArg);
    if (!t) return;
    const at = now();
    if (!admit(t.posts, at, getMessageLogRate())) return countMessage(t.posts, at, 0, '');
    const { preview, size } = valuePreview(message, getPreviewBytes());
    emit({ kind: 'bc:post', t: at, id: t.id, size, preview });
  }

  const afterPost = guarded('bc:post', posted);

  const structuredCloneNative = win.structuredClone;
  let postProxy: ((this: BroadcastChannel, message: unknown) => void) | null = null;
  postProxy = wrapMethod(proto, 'postMessage', {
    // Fault injection only (hold, docs/faults.md): the post waits, cloned now as postMessage would, and goes out on release.
    instead(thisArg, args) {
      if (!isHolding()) return null; // the usual case, without a closure per post
      return (
        safely('bc:hold', () => {
          if (!isHolding() || typeof structuredCloneNative !== 'function') return null;
          const t = trackedOf(thisArg);
          if (!t || t.closed || args.length === 0) return null; // let the native answer (and throw) as usual
          let copy: unknown;
          try {
            copy = apply(structuredCloneNative, win, [args[0]]);
          } catch {
            return null; // not cloneable: the native postMessage throws its own DataCloneError
          }
          holdBack(() => {
            if (postProxy && !t.closed) apply(postProxy, thisArg, [copy]);
          });
          return { value: undefined };
        }) ?? null
      );
    },
    after(thisArg, args, result) {
      afterPost(thisArg, args[0]);
      return result;
    },
  });

  wrapMethod(proto, 'close', {
    after(thisArg, _args, result) {
      safely('bc:close', () => {
        const t = trackedOf(thisArg);
        if (!t || t.closed) return;
        t.closed = true;
        settle(t.posts);
        settle(t.receipts);
        emit({ kind: 'bc:close', t: now(), id: t.id });
      });
      return result;
    },
  });
}
