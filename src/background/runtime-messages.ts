/** Requests from extension pages: `snapshot:get`, `capture:clear`, settings, faults (`fault:*`, `deep:*`). */
import browser, { type Runtime } from 'webextension-polyfill';
import { parseRuntimeRequest, assertNever, type FaultRequest } from '../shared/protocol';
import { isExtensionPage } from './sender';
import type { Store } from './store';
import type { SettingsHolder } from './settings';

export function registerRuntimeMessages(
  store: Store,
  settings: SettingsHolder,
  faults?: { handle(request: FaultRequest): Promise<unknown> },
): void {
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
      case 'fault:add':
      case 'fault:clear':
      case 'fault:list':
      case 'deep:start':
      case 'deep:stop':
        return faults ? store.ready.then(() => faults.handle(request)) : Promise.resolve({ ok: false, error: 'faults are not available' });
      default:
        return assertNever(request);
    }
  });
}
