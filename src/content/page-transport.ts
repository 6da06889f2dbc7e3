/**
 * The MAIN world's side of the page <-> relay link: batches go out as
 * `CustomEvent(PAGE_EVENT_TYPE, { detail: json })` on document; the relay's
 * answers (PageConfig) come back as RELAY_EVENT_TYPE events.
 *
 * Nothing is sent until the relay has answered once: the two content scripts
 * start in an unspecified order, so the page pings (an empty batch) and the
 * relay answers the ping, or announces itself when it starts second.
 */
import { PAGE_EVENT_TYPE, RELAY_EVENT_TYPE } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { createBatcher, type Batcher } from './batcher';
import { setMessageLogRate, setPreviewBytes } from './context';
import { drainGates, setGateWake } from './gate';
import { safely } from './guard';
import { bag, nativeGetter, read } from './dom';
import { encodeBatch } from './encode';
import { apply, dateNow, getOwnPropertyDescriptor, isObjectLike } from './natives';

/** Longest relay message (a config with its fault list) the page accepts. */
const MAX_RELAY_DETAIL = 256 * 1024;

export function createPageTransport(
  win: Window & typeof globalThis,
  addEventListener: EventTarget['addEventListener'],
  onConfig?: (config: object) => void,
): Batcher & { sendRaw(json: string): void } {
  const doc = win.document;
  const dispatchEvent = win.EventTarget.prototype.dispatchEvent;
  const NativeCustomEvent = win.CustomEvent;
  const queueMicrotask = win.queueMicrotask;
  const setTimeout = win.setTimeout;
  const jsonParse = JSON.parse;
  const detailGetter = nativeGetter(NativeCustomEvent.prototype, 'detail');

  function send(json: string): void {
    try {
      apply(dispatchEvent, doc, [new NativeCustomEvent(PAGE_EVENT_TYPE, bag({ detail: json }))]);
    } catch {
      // A page listener threw, or the document is gone: the batch is lost, the page is not disturbed.
    }
  }

  const batcher = createBatcher({
    dispatch: send,
    schedule: (flush) => apply(queueMicrotask, win, [flush]),
    setTimer: (flush, ms) => apply(setTimeout, win, [flush, ms]),
    now: dateNow,
    beforeFlush: () => safely('summaries', drainGates),
    // Messages and their summaries can wait for the long interval; a state change (a connection created, opened,
    // failed or closed, a channel, a lock, a role) goes within 50 ms, close to what the browser itself sees.
    urgent: (event) => !isMessageEvent(event.kind),
  });
  setGateWake(() => batcher.wake());

  apply(addEventListener, win, [
    RELAY_EVENT_TYPE,
    (event: Event) => {
      try {
        const detail = read(detailGetter, event);
        if (typeof detail !== 'string' || detail.length > MAX_RELAY_DETAIL) return;
        const config: unknown = jsonParse(detail);
        if (!isObjectLike(config)) return;
        if (getOwnPropertyDescriptor(config, 'kind')?.value !== 'config') return;
        const preview = getOwnPropertyDescriptor(config, 'previewBytes')?.value;
        if (typeof preview === 'number') setPreviewBytes(preview);
        const rate = getOwnPropertyDescriptor(config, 'messageLogRate')?.value;
        if (typeof rate === 'number') setMessageLogRate(rate);
        onConfig?.(config);
        batcher.setReady();
      } catch {
        // A forged or broken config: ignore it.
      }
    },
    true,
  ]);

  // Ping: the relay, if already listening, answers with a config at once.
  send(encodeBatch('', 0, 0));
  // Fault hits go out at once, beside the batches (the relay tells them apart).
  const transport = batcher as Batcher & { sendRaw(json: string): void };
  transport.sendRaw = send;
  return transport;
}

/** Messages and summaries of messages (the message log rate's subject); everything else is a state change. */
function isMessageEvent(kind: string): boolean {
  switch (kind) {
    case 'es:message':
    case 'fetch:message':
    case 'bc:post':
    case 'bc:receive':
    case 'es:message-summary':
    case 'fetch:message-summary':
    case 'bc:post-summary':
    case 'bc:receive-summary':
    case 'lock:request-summary':
      return true;
    default:
      return false;
  }
}

export type { PageEvent };
