import { connectToSSE } from '../../src/client/index.js';
import { startChat } from './chat-app.js';
import { el, param } from './dom.js';

// The chat over the fetch transport, plus a button that makes one raw fetch attempt and shows
// everything a refusal says: status, Retry-After, X-SSE-* and the JSON body.
startChat('fetch', (parent) => {
  const out = el('pre', { 'data-testid': 'probe-result' }, 'not tried yet');
  const button = el('button', { type: 'button', 'data-testid': 'probe' }, 'Try one more stream (fetch)');
  button.addEventListener('click', () => {
    out.textContent = 'connecting…';
    const userId = new URLSearchParams(location.search).get('userId') ?? undefined;
    void connectToSSE(param('projectId', 'demo'), { transport: 'fetch', ...(userId !== undefined ? { userId } : {}) }).then((r) => {
      const { stream, eventSource: _es, ...shown } = r;
      stream?.close();
      out.textContent = JSON.stringify(shown, null, 2);
    });
  });
  parent.append(el('h2', {}, 'One more stream'), button, out);
});
