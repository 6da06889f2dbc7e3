/**
 * Relays connect on a long-lived port, one per document. The tab and frame
 * come from the port's sender, never from a payload.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { RELAY_PORT_NAME, parseRelayFaultHit, parseRelayMessage, type PageConfig, type RelayAck } from '../shared/protocol';
import type { Faults } from './faults';
import type { Store } from './store';
import type { SettingsHolder } from './settings';

export function registerRelayPorts(store: Store, settings: SettingsHolder, faults?: Faults): void {
  /** Open relay ports that said hello, with their document. */
  const ports = new Map<Runtime.Port, { tabId: number; docId: string }>();
  const configOf = (doc?: { tabId: number; docId: string }): PageConfig => {
    const { previewBytes, messageLogRate } = settings.current;
    if (!faults || !doc) return { kind: 'config', previewBytes, messageLogRate };
    // An empty list tells a page that had faults that they ended.
    return { kind: 'config', previewBytes, messageLogRate, faults: faults.forDocument(doc.tabId, doc.docId, settings.current.projectKeyRules.queryParams) };
  };
  const pushAll = (): void => {
    for (const [port, doc] of ports) {
      try {
        port.postMessage(configOf(doc));
      } catch {
        ports.delete(port);
      }
    }
  };
  settings.onChange(pushAll);
  faults?.onChange(pushAll);
  browser.runtime.onConnect.addListener((port: Runtime.Port) => {
    if (port.name !== RELAY_PORT_NAME) return;
    const tabId = port.sender?.tab?.id;
    const frameId = port.sender?.frameId ?? 0;
    if (tabId === undefined || tabId < 0) {
      port.disconnect();
      return;
    }
    let docId: string | null = null;
    /** Highest batch number applied from this port, and the highest acknowledged. */
    let applied = -1;
    let acked = -1;
    const stopAcks = store.onPersisted(() => {
      const covered = applied;
      return () => {
        if (covered <= acked) return;
        acked = covered;
        try {
          port.postMessage({ kind: 'relay:ack', seq: covered } satisfies RelayAck);
        } catch {
          // The document went away; nothing to acknowledge.
        }
      };
    });
    port.onMessage.addListener((raw: unknown) => {
      const hit = faults ? parseRelayFaultHit(raw) : null;
      if (hit) {
        if (docId !== null && hit.docId === docId) faults?.hit(tabId, docId, hit);
        return;
      }
      const message = parseRelayMessage(raw);
      const t = Date.now();
      if (!message) {
        store.dispatch({ kind: 'invalid', count: 1 });
        return;
      }
      if (message.kind === 'relay:hello') {
        docId = message.docId;
        const doc = { tabId, docId };
        ports.set(port, doc);
        void settings.ready.then(() => port.postMessage(configOf(doc)));
        store.dispatch({ kind: 'doc:hello', tabId, frameId, docId, url: message.url, title: message.title, t });
        return;
      }
      // A batch for another document than this port announced is forged.
      if (docId === null || message.docId !== docId) {
        store.dispatch({ kind: 'invalid', count: message.events.length + message.invalid });
        return;
      }
      if (message.seq !== undefined) applied = Math.max(applied, message.seq);
      store.dispatch({
        kind: 'doc:events',
        tabId,
        frameId,
        docId,
        ...(message.seq !== undefined ? { seq: message.seq } : {}),
        events: message.events,
        invalid: message.invalid,
        dropped: message.dropped,
        t,
      });
    });
    port.onDisconnect.addListener(() => {
      ports.delete(port);
      stopAcks();
      if (docId !== null) store.dispatch({ kind: 'doc:gone', docId, t: Date.now() });
    });
  });
}
