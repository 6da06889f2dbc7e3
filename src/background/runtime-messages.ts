/** Requests from extension pages: `snapshot:get`, `capture:clear`. */
import browser, { type Runtime } from 'webextension-polyfill';
import { parseRuntimeRequest, assertNever } from '../shared/protocol';
import { isExtensionPage } from './sender';
import type { Store } from './store';
import type { SettingsHolder } from './settings';

export function registerRuntimeMessages(store: Store, settings: SettingsHolder): void {
  browser.runtime.onMessage.addListener((raw: unknown, sender: Runtime.MessageSender) => {
    const request = parseRuntimeRequest(raw);
    if (!request) return undefined;
    if (!isExtensionPage(sender)) return Promise.resolve({ error: 'only extension pages may ask' });
    switch (request.kind) {
      case 'snapshot:get':
        return store.ready.then(() => store.snapshot());
      case 'capture:clear':
        return store.ready.then(() => {
          store.dispatch(request.tabId === undefined ? { kind: 'capture:clear' } : { kind: 'capture:clear', tabId: request.tabId });
          return { ok: true };
        });
      case 'settings:get':
        return settings.ready.then(() => settings.current);
      case 'settings:set':
        return settings.set(request.settings);
      default:
        return assertNever(request);
    }
  });
}
