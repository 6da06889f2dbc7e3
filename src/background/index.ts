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
import { SettingsHolder } from './settings';
import { registerFaults } from './faults-wire';
import { DeepCapture } from './deep-capture';

// storage.session's promise API matches StorageArea; the polyfill's typing is wider.
const store = new Store({ storage: browser.storage.session as unknown as StorageArea });
const settings = new SettingsHolder(store);

// Fault injection and deep capture (docs/faults.md): only what a person asks for in the panel.
const deep = new DeepCapture();
const faults = registerFaults(store, deep);

registerRelayPorts(store, settings, faults.faults);
registerPanelPorts(store);
registerWebRequest(store);
registerRuntimeMessages(store, settings, faults);
registerTabs(store);

// Time-based parts of the model (leader history, stranded followers).
setInterval(() => store.tick(), 1000);

// For tests and debugging from the worker's console.
(globalThis as { __sseConnections?: Store }).__sseConnections = store;
