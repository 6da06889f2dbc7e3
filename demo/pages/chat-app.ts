import { messagesUrl, PersistentChatConnection, type ConnectionInfo, type TransportKind } from '../../src/client/index.js';
import { el, param } from './dom.js';

export interface ChatGlobals {
  connection: PersistentChatConnection;
  received: Array<{ id: string | undefined; text: string }>;
  send(text: string): Promise<Response>;
}

declare global {
  interface Window {
    __chat?: ChatGlobals;
  }
}

function textOf(data: unknown): string {
  if (typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>)['text'] === 'string') {
    return String((data as Record<string, unknown>)['text']);
  }
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** The chat demo: role, banner (from the client), message list and send box. */
export function startChat(transport: TransportKind, extra?: (parent: HTMLElement, conn: PersistentChatConnection) => void): void {
  const projectId = param('projectId', 'demo');
  const userParam = new URLSearchParams(location.search).get('userId') ?? undefined;
  const received: ChatGlobals['received'] = [];

  const role = el('strong', { 'data-testid': 'role' }, 'connecting');
  const state = el('span', { 'data-testid': 'state' }, '');
  const list = el('ul', { 'data-testid': 'messages', class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const input = el('input', { type: 'text', name: 'text', 'aria-label': 'Message', placeholder: 'Say something', autocomplete: 'off', required: '' });
  const form = el('form', { class: 'send' }, input, el('button', { type: 'submit' }, 'Send'));

  document.body.append(
    el('h1', {}, `Chat · project ${projectId}`),
    el('p', {}, 'This tab is ', role, ' · ', state, ` · transport: ${transport}`),
    form,
    list,
  );

  const send = (text: string): Promise<Response> =>
    fetch(messagesUrl('', projectId, userParam), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
    });

  const connection = new PersistentChatConnection(
    projectId,
    (data, meta) => {
      const text = textOf(data);
      received.push({ id: meta.id, text });
      list.append(el('li', meta.id !== undefined ? { 'data-id': meta.id } : {}, text));
      while (list.childElementCount > 2000) list.firstElementChild?.remove();
    },
    { transport, ...(userParam !== undefined ? { userId: userParam } : {}) },
  );
  const render = (info: ConnectionInfo): void => {
    role.textContent = info.role;
    const parts = [`mode ${info.mode}`];
    if (info.mode === 'follower') {
      parts.push(`leader's stream ${info.leaderStatus ?? 'unknown'}`);
      if (info.leaderId) parts.push(`leader ${info.leaderId.slice(0, 8)}`);
    } else parts.push(`stream ${info.streamState}`);
    if (info.retryAt) parts.push(`retry at ${new Date(info.retryAt).toLocaleTimeString()}`);
    state.textContent = parts.join(' · ');
  };
  connection.subscribe(render);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void send(text);
  });

  window.__chat = { connection, received, send };
  extra?.(document.body, connection);
  void connection.connect().then(() => render(connection.getConnectionInfo()));
}
