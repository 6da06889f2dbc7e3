import type { PanelStore } from '../store';
import { ConnectionsTable } from './ConnectionsTable';

export function App({ store }: { store: PanelStore }) {
  const snapshot = store.snapshot.value;
  return (
    <main class="panel" aria-label="SSE Connections">
      <header class="toolbar">
        <strong>SSE Connections</strong>
        <span class="muted" data-testid="inspected-tab">
          {store.tabId === null ? 'no inspected tab' : `tab ${store.tabId}`}
        </span>
        {!store.connected.value && <span class="warn">reconnecting to the extension…</span>}
      </header>
      {snapshot === null ? <p class="muted">Loading…</p> : <ConnectionsTable connections={store.tabConnections.value} />}
    </main>
  );
}
