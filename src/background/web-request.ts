/**
 * What the server said: status and rate-limit headers of every response that
 * belongs to SSE activity (streams, their refusals, and HEAD probes). The
 * page's EventSource never exposes these; non-blocking webRequest does.
 */
import browser, { type WebRequest } from 'webextension-polyfill';
import { headerValue, isSseResponse, serverHints } from './net';
import type { Store } from './store';

const FILTER: WebRequest.RequestFilter = { urls: ['<all_urls>'], types: ['xmlhttprequest', 'other'] };
/** Accept headers by request id, until the response arrives (bounded). */
const accepts = new Map<string, string>();
const MAX_PENDING = 2000;

export function registerWebRequest(store: Store): void {
  browser.webRequest.onSendHeaders.addListener(
    (d) => {
      if (d.tabId < 0) return;
      const accept = headerValue(d.requestHeaders, 'accept');
      if (accept === undefined) return;
      accepts.set(d.requestId, accept);
      if (accepts.size > MAX_PENDING) accepts.delete(accepts.keys().next().value as string);
    },
    FILTER,
    ['requestHeaders'],
  );
  browser.webRequest.onHeadersReceived.addListener(
    (d) => {
      if (d.tabId < 0) return;
      const accept = accepts.get(d.requestId);
      accepts.delete(d.requestId);
      const at = Date.now();
      const hints = serverHints(d.responseHeaders, at);
      const knownSseUrl = () => [...store.state.connections.values()].some((c) => c.tabId === d.tabId && c.url === d.url);
      if (!isSseResponse({ method: d.method, accept, status: d.statusCode, hints, knownSseUrl })) return;
      store.dispatch({
        kind: 'net:response',
        response: {
          tabId: d.tabId,
          url: d.url,
          method: d.method,
          status: d.statusCode,
          retryAfterMs: hints.retryAfterMs,
          limit: hints.limit,
          current: hints.current,
          at,
          contentType: hints.contentType,
        },
      });
    },
    FILTER,
    ['responseHeaders'],
  );
  browser.webRequest.onErrorOccurred.addListener((d) => accepts.delete(d.requestId), FILTER);
}
