import { useRef, useState } from 'preact/hooks';
import { buildCapture, captureFileName, parseCapture } from '../model/capture';
import { logEntries } from '../model/log-view';
import { clearCapture, download, reloadInspectedTab } from '../platform';
import { emptyPanelData, applyMessage, PANEL_LOG_LIMIT, type PanelStore } from '../store';
import type { Ui } from '../ui';
import { perf } from '../perf';

export function Toolbar({ store, ui }: { store: PanelStore; ui: Ui }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const imported = store.imported.value;
  const recording = store.recording.value;
  const onExport = async () => {
    store.flush();
    const pending = store.imported.value === null ? store.olderPending.value : 0;
    if (pending > 0) {
      // The export is the whole capture: wait for the older events still loading.
      setMessage({ kind: 'info', text: `Export waits for ${pending} older event(s) still loading…` });
      await store.loaded();
      store.flush();
    }
    const data = store.data.value;
    if (!data.snapshot) return;
    const capture = buildCapture(data.snapshot, logEntries(data.log));
    download(captureFileName(capture.generatedAt), JSON.stringify(capture, null, 1));
    setMessage({ kind: 'info', text: `Exported ${capture.connections.length} connection(s) and ${capture.events.length} event(s).` });
  };
  const onImport = async (file: File) => {
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      setMessage({ kind: 'error', text: `Could not read ${file.name}: ${String(error)}` });
      return;
    }
    const t0 = performance.now();
    const r = parseCapture(text);
    if (!r.ok) {
      setMessage({ kind: 'error', text: `${file.name}: ${r.error}` });
      return;
    }
    const { events, ...snapshot } = r.capture;
    let data = applyMessage(emptyPanelData(), { kind: 'panel:snapshot', snapshot });
    data = applyMessage(data, { kind: 'panel:log', entries: events, reset: true }, Math.max(PANEL_LOG_LIMIT, events.length));
    perf.recordImport(events.length, performance.now() - t0);
    const inCapture = snapshot.tabs.some((t) => t.tabId === store.tabId) ? store.tabId : (snapshot.connections[0]?.tabId ?? snapshot.tabs[0]?.tabId ?? null);
    store.setPaused(false);
    store.imported.value = { fileName: file.name, data };
    store.focusTabId.value = inCapture;
    ui.selectedSeq.value = null;
    ui.selectedConnectionId.value = null;
    setMessage({ kind: 'info', text: `Showing ${file.name}: ${snapshot.connections.length} connection(s), ${events.length} event(s).` });
  };
  const onClear = async () => {
    const tabId = ui.logScope.value === 'tab' ? store.focusTabId.value : null;
    try {
      await clearCapture(tabId);
      setMessage({ kind: 'info', text: tabId === null ? 'Cleared the capture of all tabs.' : `Cleared the capture of tab ${tabId}.` });
    } catch (error) {
      setMessage({ kind: 'error', text: `Could not clear: ${String(error)}` });
    }
  };
  const onReload = async () => {
    try {
      await reloadInspectedTab(store.tabId);
    } catch (error) {
      setMessage({ kind: 'error', text: `Could not reload the tab: ${String(error)}` });
    }
  };
  return (
    <>
      <div class="toolbar" role="toolbar" aria-label="Capture">
        <button
          type="button"
          class={`record${recording ? ' on' : ''}`}
          aria-pressed={recording}
          data-testid="record"
          title={recording ? 'Stop recording events (the panel drops new events while off)' : 'Record events'}
          onClick={() => (store.recording.value = !recording)}
          disabled={imported !== null}
        >
          <span aria-hidden="true">●</span> {recording ? 'Recording' : 'Record'}
        </button>
        <button type="button" data-testid="clear" onClick={onClear} disabled={imported !== null} title="Clear the captured events (of this tab, or of all tabs when the log shows all tabs)">
          Clear
        </button>
        <label title="Keep the events of earlier pages of this tab after a reload or navigation">
          <input type="checkbox" data-testid="preserve-log" checked={store.preserveLog.value} onChange={(e) => store.setPreserveLog(e.currentTarget.checked)} /> Preserve log
        </label>
        <span class="sep" aria-hidden="true" />
        <button type="button" data-testid="export" onClick={() => void onExport()} title="Save the capture (snapshot and events) as JSON">Export</button>
        <button type="button" data-testid="import" onClick={() => fileRef.current?.click()} title="Open a capture saved with Export">Import…</button>
        <input
          ref={fileRef}
          type="file"
          accept=".json,application/json"
          data-testid="import-file"
          hidden
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void onImport(file);
          }}
        />
        <span class="sep" aria-hidden="true" />
        <button type="button" data-testid="reload-tab" onClick={onReload} disabled={imported !== null || store.tabId === null} title="Reload the inspected tab (to test failover)">
          Reload tab
        </button>
        <span class="grow" />
        {imported === null && store.olderPending.value > 0 && (
          <span class="muted" data-testid="loading-older" role="status" title="The newest events are shown; older ones are being loaded from the extension">
            loading {store.olderPending.value} older events…
          </span>
        )}
        <span class="muted" data-testid="inspected-tab">{store.tabId === null ? 'no inspected tab' : `tab ${store.tabId}`}</span>
        {!store.connected.value && <span class="warn">reconnecting to the extension…</span>}
      </div>
      {imported && (
        <div class="banner info" role="status" data-testid="imported-banner">
          Viewing the imported capture <strong>{imported.fileName}</strong> (not live).{' '}
          <label>
            Tab{' '}
            <select aria-label="Tab of the imported capture" value={String(store.focusTabId.value ?? '')} onChange={(e) => (store.focusTabId.value = Number(e.currentTarget.value))}>
              {(imported.data.snapshot?.tabs ?? []).map((t) => (
                <option key={t.tabId} value={String(t.tabId)}>{t.title ? `${t.title} (${t.tabId})` : String(t.tabId)}</option>
              ))}
            </select>
          </label>{' '}
          <button
            type="button"
            data-testid="back-to-live"
            onClick={() => {
              store.imported.value = null;
              store.focusTabId.value = store.tabId;
              setMessage(null);
            }}
          >
            Back to live
          </button>
        </div>
      )}
      {message && (
        <div class={`banner ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'} data-testid={message.kind === 'error' ? 'toolbar-error' : 'toolbar-info'}>
          {message.text}{' '}
          <button type="button" class="link" aria-label="Dismiss" onClick={() => setMessage(null)}>✕</button>
        </div>
      )}
    </>
  );
}
