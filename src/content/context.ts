/**
 * What every wrapper shares: the event sink, ids, the clock and the preview
 * length the worker configured. Set up once by `main-world.iife.ts`.
 */
import { LIMITS } from '../shared/constants';
import type { PageEvent } from '../shared/protocol';
import { dateNow } from './natives';

let sink: (event: PageEvent) => void = () => undefined;
let lastId = 0;
let previewBytes: number = LIMITS.defaultPreview;

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
