/**
 * The panel's port to the worker. When the worker is stopped the port
 * closes; the panel reconnects and gets a fresh snapshot.
 */
import browser from 'webextension-polyfill';
import { panelPortName, type FeedMessage } from '../shared/protocol';
import type { PanelStore } from './store';

export function connectPanel(store: PanelStore): () => void {
  let stopped = false;
  let retryMs = 100;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    if (stopped) return;
    const port = browser.runtime.connect({ name: panelPortName(store.tabId ?? 0) });
    store.connected.value = true;
    store.setRequest((message) => {
      try {
        port.postMessage(message);
      } catch {
        // Disconnected: the new port's feed starts over.
      }
    });
    port.onMessage.addListener((message: unknown) => {
      retryMs = 100;
      store.receive(message as FeedMessage);
    });
    port.onDisconnect.addListener(() => {
      store.connected.value = false;
      store.setRequest(null);
      if (stopped) return;
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 2000);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
