/**
 * What every wrapper shares: the event sink, ids, the clock, and the preview
 * length and message log rate the worker configured. Set up once by `main-world.iife.ts`.
 */
import { LIMITS } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { dateNow } from './natives';

let sink: (event: PageEvent) => void = () => undefined;
let lastId = 0;
let previewBytes: number = LIMITS.defaultPreview;
/**
 * The default until the relay tells the user's setting, which it does within
 * milliseconds of the page's start (from storage, then from the worker).
 * Not "every message" meanwhile: a stream that floods from the first
 * millisecond would be logged whole until then, at the cost the rate exists
 * to avoid (measured: the relay benchmark went from 1.03 to 1.31).
 */
let messageLogRate: number = LIMITS.defaultMessageLogRate;

export function setSink(fn: (event: PageEvent) => void): void {
  sink = fn;
}
export function emit(event: PageEvent): void {
  sink(event);
}
/** Ids are per document; the relay's random docId keeps documents apart. */
export function nextId(): number {
  return ++lastId;
}
export function now(): number {
  return dateNow();
}
export function getPreviewBytes(): number {
  return previewBytes;
}
export function setPreviewBytes(bytes: number): void {
  if (typeof bytes === 'number' && bytes >= 0 && bytes <= LIMITS.maxPreview && bytes % 1 === 0) {
    previewBytes = bytes;
  }
}
export function getMessageLogRate(): number {
  return messageLogRate;
}
export function setMessageLogRate(rate: number): void {
  if (typeof rate === 'number' && rate >= 0 && rate <= LIMITS.maxMessageLogRate && rate % 1 === 0) {
    messageLogRate = rate;
  }
}
