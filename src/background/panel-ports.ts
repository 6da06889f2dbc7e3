/** Panels subscribe on a port named after the inspected tab; they get a snapshot, the log, then deltas. */
import browser, { type Runtime } from 'webextension-polyfill';
import { tabIdFromPanelPort } from '../shared/protocol';
import { isExtensionPage } from './sender';
import type { Store } from './store';

export function registerPanelPorts(store: Store): void {
  browser.runtime.onConnect.addListener((port: Runtime.Port) => {
    if (tabIdFromPanelPort(port.name) === null) return;
    if (!isExtensionPage(port.sender)) {
      port.disconnect();
      return;
    }
    const unsubscribe = store.subscribe({ post: (message) => port.postMessage(message) });
    port.onDisconnect.addListener(unsubscribe);
  });
}
