/**
 * Isolated-world relay, injected at document_start in every frame. Small on
 * purpose: it checks the header and size of what the page script sends and
 * forwards it over a long-lived port (logic in relay-core.ts). Built as one
 * synchronous IIFE.
 */
import { PAGE_EVENT_TYPE, RELAY_EVENT_TYPE, RELAY_PORT_NAME, SETTINGS_KEY } from '../shared/protocol';
import { relayApi, type RelayApi } from './extension-api';
import { createRelay } from './relay-core';

/**
 * The extension API, looked up on first use and not before the page's first
 * script: the first touch of `chrome.runtime` and `chrome.storage` builds
 * their bindings, about a millisecond of every frame's start (measured with
 * performance marks; docs/benchmarks.md).
 */
function lazyApi(): () => RelayApi {
  let api: RelayApi | null | undefined;
  return () => {
    api ??= relayApi();
    if (!api) throw new Error('no extension API in this world');
    return api;
  };
}

/** A promise that settles in a task of its own, after the page's first script. */
function afterThisTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function start(): void {
  const api = lazyApi();
  const doc = document;
  const relay = createRelay({
    connect: () => api().runtime.connect({ name: RELAY_PORT_NAME }),
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
    alive: () => typeof api().runtime?.id === 'string',
    // The user's settings, until the worker's own config arrives; asked for
    // once the page's first script has run (the page gets the defaults until then).
    loadSettings: async () => {
      await afterThisTask();
      return (await api().storage.sync.get(SETTINGS_KEY))[SETTINGS_KEY];
    },
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
