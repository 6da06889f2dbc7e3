/** Requests from extension pages: `snapshot:get`, `capture:clear`. */
import browser, { type Runtime } from 'webextension-polyfill';
import { parseRuntimeRequest, assertNever } from '../shared/protocol';
import { isExtensionPage } from './sender';
import type { Store } from './store';

export function registerRuntimeMessages(store: Store): void {
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
      default:
        return assertNever(request);
    }
  });
}
