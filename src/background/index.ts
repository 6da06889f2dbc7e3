/**
 * The service worker entry. Every listener is registered synchronously at the
 * top level, so an event that wakes a stopped worker is not lost; the store
 * holds actions back until the persisted state is restored.
 */
import browser from 'webextension-polyfill';
import { Store, type StorageArea } from './store';
import { registerRelayPorts } from './relay-ports';
import { registerPanelPorts } from './panel-ports';
import { registerWebRequest } from './web-request';
import { registerRuntimeMessages } from './runtime-messages';
import { registerTabs } from './tabs';

const store = new Store({ storage: browser.storage.session as unknown as StorageArea });

registerRelayPorts(store);
registerPanelPorts(store);
registerWebRequest(store);
registerRuntimeMessages(store);
registerTabs(store);

// Time-based parts of the model (leader history, stranded followers).
setInterval(() => store.tick(), 1000);

// For tests and debugging from the worker's console.
(globalThis as { __sseConnections?: Store }).__sseConnections = store;
