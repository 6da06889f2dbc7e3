import { streamUrl } from '../../src/client/index.js';
import { el, param } from './dom.js';

// What not to do: N independent EventSources for one project. Past the server's limit they
// are refused with 429 (the EventSource API only says "error"); past 6 per origin over
// HTTP/1.1 the browser itself queues them and they hang silently.
const projectId = param('projectId', 'demo');
const n = Math.max(1, Math.min(50, Number(param('n', '7')) || 7));
const userId = new URLSearchParams(location.search).get('userId') ?? undefined;
const names = ['CONNECTING', 'OPEN', 'CLOSED'];

const rows: Array<{ state: HTMLElement; count: HTMLElement }> = [];
const tbody = el('tbody');
document.body.append(
  el('h1', {}, `Naive page · ${n} raw EventSources · project ${projectId}`),
  el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'readyState'), el('th', {}, 'messages'))), tbody),
);

const sources: EventSource[] = [];
for (let i = 0; i < n; i += 1) {
  const state = el('td', { 'data-testid': `state-${i}` }, 'CONNECTING');
  const count = el('td', { 'data-testid': `count-${i}` }, '0');
  tbody.append(el('tr', {}, el('td', {}, String(i + 1)), state, count));
  rows.push({ state, count });
  const es = new EventSource(streamUrl('', projectId, userId !== undefined ? { userId } : {}));
  let received = 0;
  const show = (): void => {
    state.textContent = names[es.readyState] ?? String(es.readyState);
  };
  es.addEventListener('open', show);
  es.addEventListener('error', show);
  es.addEventListener('message', () => {
    received += 1;
    count.textContent = String(received);
  });
  sources.push(es);
}

declare global {
  interface Window {
    __naive?: { sources: EventSource[] };
  }
}
window.__naive = { sources };
