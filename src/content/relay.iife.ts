/**
 * Isolated-world relay, injected at document_start in every frame. Small on
 * purpose: it validates what the page script sends and forwards it over a
 * long-lived port (logic in relay-core.ts). Built as one synchronous IIFE.
 */
import { PAGE_EVENT_TYPE, RELAY_EVENT_TYPE, RELAY_PORT_NAME, SETTINGS_KEY } from '../shared/protocol';
import { relayApi } from './extension-api';
import { createRelay } from './relay-core';

function start(): void {
  const api = relayApi();
  if (!api) return;
  const doc = document;
  const relay = createRelay({
    connect: () => api.runtime.connect({ name: RELAY_PORT_NAME }),
    docId: crypto.randomUUID(),
    url: () => location.href,
    title: () => doc.title,
    toPage: (json) => {
      doc.dispatchEvent(new CustomEvent(RELAY_EVENT_TYPE, { detail: json }));
    },
    setTimer: (fn, ms) => {
      setTimeout(fn, ms);
    },
    // After the extension is reloaded or removed, this relay's runtime is gone for good.
    alive: () => typeof api.runtime?.id === 'string',
    // The user's settings, until the worker's own config arrives.
    loadSettings: async () => (await api.storage.sync.get(SETTINGS_KEY))[SETTINGS_KEY],
  });
  // Capture phase on window: we see the page script's events before any page listener can stop them.
  window.addEventListener(
    PAGE_EVENT_TYPE,
    (event) => {
      if (event.target !== doc || !(event instanceof CustomEvent)) return;
      relay.fromPage(event.detail);
    },
    true,
  );
  // The back/forward cache: the browser closes extension ports of a cached
  // page without telling this side; let the port go on the way in and
  // reconnect on the way back.
  window.addEventListener(
    'pagehide',
    (event) => {
      if ((event as PageTransitionEvent).persisted) relay.pageHidden();
    },
    true,
  );
  window.addEventListener(
    'pageshow',
    (event) => {
      if ((event as PageTransitionEvent).persisted) relay.pageShown();
    },
    true,
  );
}

try {
  start();
} catch {
  // Never disturb the page.
}
