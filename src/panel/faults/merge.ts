/**
 * Deep capture's network view merged with the page script's view of the
 * same tab: one row per SSE event, with where it was seen. Pure.
 *
 * - `both`: the page script and the network saw it (same URL, type, id, data, in order);
 * - `network`: only the network saw it (a named event nobody listens to, or
 *   an event of a stream the page script cannot see);
 * - `page`: only the page script saw it (deep capture was off, or started later).
 */
import type { DeepEvent, LogEntry } from '../../shared/protocol';

export type EventSourceKind = 'page' | 'network' | 'both';

export interface MergedEvent {
  t: number;
  url: string;
  type: string;
  lastEventId: string;
  preview: string;
  source: EventSourceKind;
}

const key = (url: string, type: string, id: string, preview: string): string => JSON.stringify([url, type, id, preview]);

export function mergeEvents(page: readonly LogEntry[], network: readonly DeepEvent[], tabId: number): MergedEvent[] {
  const fromPage = page.filter((e) => e.tabId === tabId && (e.kind === 'es:message' || e.kind === 'fetch:message'));
  const fromNet = network.filter((e) => e.tabId === tabId && e.kind === 'message');
  // Page events not yet matched, by key, oldest first.
  const waiting = new Map<string, number[]>();
  fromPage.forEach((e, i) => {
    const k = key(e.name, e.type ?? 'message', e.lastEventId ?? '', e.preview ?? '');
    const list = waiting.get(k);
    if (list) list.push(i);
    else waiting.set(k, [i]);
  });
  const matched = new Set<number>();
  const rows: MergedEvent[] = [];
  for (const n of fromNet) {
    const type = n.type ?? 'message';
    const id = n.lastEventId ?? '';
    const preview = n.preview ?? '';
    const k = key(n.url, type, id, preview);
    const list = waiting.get(k);
    const i = list?.shift();
    if (i !== undefined) matched.add(i);
    rows.push({ t: n.t, url: n.url, type, lastEventId: id, preview, source: i !== undefined ? 'both' : 'network' });
  }
  fromPage.forEach((e, i) => {
    if (matched.has(i)) return;
    rows.push({ t: e.t, url: e.name, type: e.type ?? 'message', lastEventId: e.lastEventId ?? '', preview: e.preview ?? '', source: 'page' });
  });
  return rows.sort((a, b) => a.t - b.t);
}
