/**
 * Wires the fault list (faults.ts) into the worker: the panel's requests,
 * the snapshot's `faults`, the end of unpinned faults when the last panel of
 * their tab closes, and the end of a closed tab's faults. The relays are told
 * by relay-ports.ts (it listens to `faults.onChange`).
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { assertNever, tabIdFromPanelPort, type FaultRequest, type Snapshot } from '../shared/protocol';
import type { DeepCapture } from './deep-capture';
import { Faults } from './faults';
import { isExtensionPage } from './sender';
import type { Store } from './store';

export interface FaultsWiring {
  faults: Faults;
  handle(request: FaultRequest): Promise<unknown>;
}

/** storage.session key of the fault list (not under `session:`, which the store's restore reads). */
const STORAGE_KEY = 'faults:v1';
/** After a worker restart, a tab whose panel does not reconnect within this lost its panel meanwhile. */
const PANEL_GRACE_MS = 5000;

export function registerFaults(store: Store, deep?: DeepCapture): FaultsWiring {
  const faults = new Faults();
  const storage = browser.storage.session;

  // The snapshot (runtime `snapshot:get`, panels, exports) carries the active faults.
  const baseSnapshot = store.snapshot.bind(store);
  store.snapshot = (): Snapshot => {
    const snapshot = baseSnapshot();
    snapshot.faults = faults.list();
    if (deep) snapshot.deepCapture = deep.view();
    return snapshot;
  };
  // Panels get a fresh snapshot when the list changes (a tick pushes one).
  faults.onChange(() => store.tick());
  deep?.onChange(() => store.tick());

  // Panel ports per inspected tab: when the last one goes, that tab's unpinned faults end.
  const panels = new Map<number, number>();
  browser.runtime.onConnect.addListener((port: Runtime.Port) => {
    const tabId = tabIdFromPanelPort(port.name);
    if (tabId === null || !isExtensionPage(port.sender)) return;
    panels.set(tabId, (panels.get(tabId) ?? 0) + 1);
    port.onDisconnect.addListener(() => {
      const left = (panels.get(tabId) ?? 1) - 1;
      if (left > 0) {
        panels.set(tabId, left);
        return;
      }
      panels.delete(tabId);
      faults.panelClosed(tabId);
      void deep?.panelClosed(tabId);
    });
  });
  browser.tabs.onRemoved.addListener((tabId) => {
    faults.tabRemoved(tabId);
    void deep?.stop(tabId);
  });
  setInterval(() => faults.tick(), 250);

  // Survive a worker stop: keep the list in storage.session, restore it at start.
  let restored = false;
  faults.onChange(() => {
    if (!restored) return;
    void storage.set({ [STORAGE_KEY]: faults.serialize() }).catch(() => undefined);
  });
  void storage
    .get(STORAGE_KEY)
    .then((items) => {
      faults.restore(items[STORAGE_KEY]);
      restored = true;
      void storage.set({ [STORAGE_KEY]: faults.serialize() }).catch(() => undefined);
      faults.tick();
      setTimeout(() => {
        for (const tabId of faults.unpinnedTabs()) if (!panels.has(tabId)) faults.panelClosed(tabId);
      }, PANEL_GRACE_MS);
    })
    .catch(() => {
      restored = true;
    });

  async function handle(request: FaultRequest): Promise<unknown> {
    switch (request.kind) {
      case 'fault:add':
        return faults.add(request.fault);
      case 'fault:clear': {
        const filter = {
          ...(request.id !== undefined ? { id: request.id } : {}),
          ...(request.tabId !== undefined ? { tabId: request.tabId } : {}),
        };
        return { ok: true, cleared: faults.clear(filter) };
      }
      case 'fault:list':
        return { ok: true, faults: faults.list() };
      case 'deep:start':
        return deep ? deep.start(request.tabId) : { ok: false, error: 'deep capture is not available' };
      case 'deep:stop':
        return deep ? deep.stop(request.tabId) : { ok: false, error: 'deep capture is not available' };
      default:
        return assertNever(request);
    }
  }

  return { faults, handle };
}
