/**
 * Fault injection and deep capture, for the inspected tab. Mount it with the
 * panel's data: `<FaultsView tabId={store.tabId} snapshot={store.data.value.snapshot} />`.
 * Every action is a runtime request to the worker (`fault:add`, `fault:clear`,
 * `deep:start`, `deep:stop`); what is active comes back in the snapshot.
 */
import { useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { FaultKind, FaultRequest, LogEntry, Snapshot, SnapshotFault } from '../../shared/protocol';
import { mergeEvents, type MergedEvent } from './merge';

export interface FaultsViewProps {
  tabId: number | null;
  snapshot: Snapshot | null;
  /**
   * The page script's log entries, to merge with deep capture's network view;
   * optional. A function is called only while there are deep-capture events
   * (e.g. `() => logEntries(store.data.value.log)`).
   */
  pageEvents?: readonly LogEntry[] | (() => readonly LogEntry[]);
}

async function ask(request: FaultRequest): Promise<{ ok?: boolean; error?: string }> {
  try {
    return ((await browser.runtime.sendMessage(request)) ?? {}) as { ok?: boolean; error?: string };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

const KINDS: { kind: FaultKind; label: string }[] = [
  { kind: 'refuse', label: 'Refuse connections (429)' },
  { kind: 'drop', label: 'Drop a stream (network error)' },
  { kind: 'end', label: 'End a stream (server closed it)' },
  { kind: 'hold', label: 'Freeze the leader (hold back posts and events)' },
  { kind: 'delay', label: 'Delay a connection’s events' },
];

function num(value: string, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n) : fallback;
}

export function FaultsView({ tabId, snapshot, pageEvents = [] }: FaultsViewProps) {
  const [kind, setKind] = useState<FaultKind>('refuse');
  const [scope, setScope] = useState<'tab' | 'project'>('tab');
  const [projectKey, setProjectKey] = useState('');
  const [connectionId, setConnectionId] = useState('');
  const [count, setCount] = useState('2');
  const [retryAfterSec, setRetryAfterSec] = useState('10');
  const [limit, setLimit] = useState('5');
  const [current, setCurrent] = useState('5');
  const [ms, setMs] = useState('8000');
  const [pinned, setPinned] = useState(false);
  const [message, setMessage] = useState('');

  if (tabId === null) return <p class="muted">No inspected tab.</p>;
  const faults: SnapshotFault[] = (snapshot?.faults ?? []).filter((f) => f.tabId === tabId || f.scope === 'project');
  const connections = (snapshot?.connections ?? []).filter((c) => c.tabId === tabId && c.state !== 'closed');
  const projects = [...new Set((snapshot?.connections ?? []).filter((c) => c.tabId === tabId && c.projectKey).map((c) => c.projectKey as string))];
  const deep = snapshot?.deepCapture;
  const deepOn = deep?.tabIds.includes(tabId) ?? false;
  const needsConnection = kind === 'drop' || kind === 'end' || kind === 'delay';
  const canScope = kind === 'refuse';

  const add = async (): Promise<void> => {
    const fault = {
      kind,
      tabId,
      pinned,
      ...(canScope ? { scope } : {}),
      ...(canScope && scope === 'project' ? { projectKey: projectKey || projects[0] || '' } : {}),
      ...(needsConnection ? { connectionId: connectionId || connections[0]?.id || '' } : {}),
      ...(kind === 'refuse'
        ? { count: num(count, 1), retryAfterSec: num(retryAfterSec, 10), limit: num(limit, 5), current: num(current, 5) }
        : {}),
      ...(kind === 'hold' ? { durationMs: num(ms, 8000) } : {}),
      ...(kind === 'delay' ? { delayMs: num(ms, 2000) } : {}),
    };
    const r = await ask({ kind: 'fault:add', fault: fault as Extract<FaultRequest, { kind: 'fault:add' }>['fault'] });
    setMessage(r.ok ? '' : (r.error ?? 'refused'));
  };

  const toggleDeep = async (): Promise<void> => {
    if (deepOn) {
      await ask({ kind: 'deep:stop', tabId });
      return;
    }
    // Chrome does not let `debugger` be an optional permission (it is marked "cannot be optional"):
    // deep capture works only in a build that declares it (docs/faults.md). Asked here, in the click,
    // where a browser that allows it would show its prompt.
    let granted = false;
    try {
      granted =
        (await chrome.permissions.contains({ permissions: ['debugger'] })) ||
        (await chrome.permissions.request({ permissions: ['debugger'] }));
    } catch (error) {
      setMessage(`Deep capture is not available in this build: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (!granted) {
      setMessage('Deep capture needs the debugger permission.');
      return;
    }
    const r = await ask({ kind: 'deep:start', tabId });
    setMessage(r.ok ? '' : (r.error ?? 'could not start'));
  };

  return (
    <section class="faults-view" aria-label="Fault injection">
      <h2>Fault injection</h2>
      <p class="muted">Nothing is injected unless you add a fault here. Faults end when this panel closes, unless pinned.</p>
      <div role="group" aria-label="New fault" class="faults-form">
        <label>
          Fault{' '}
          <select data-testid="fault-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as FaultKind)}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        {canScope && (
          <label>
            Scope{' '}
            <select data-testid="fault-scope" value={scope} onChange={(e) => setScope((e.currentTarget as HTMLSelectElement).value as 'tab' | 'project')}>
              <option value="tab">this tab</option>
              <option value="project">project (every tab)</option>
            </select>
          </label>
        )}
        {canScope && scope === 'project' && (
          <label>
            Project{' '}
            <input data-testid="fault-project" list="fault-projects" value={projectKey || projects[0] || ''} onInput={(e) => setProjectKey((e.currentTarget as HTMLInputElement).value)} />
            <datalist id="fault-projects">
              {projects.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          </label>
        )}
        {needsConnection && (
          <label>
            Connection{' '}
            <select data-testid="fault-connection" value={connectionId} onChange={(e) => setConnectionId((e.currentTarget as HTMLSelectElement).value)}>
              {connections.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.transport} {c.url}
                </option>
              ))}
            </select>
          </label>
        )}
        {kind === 'refuse' && (
          <>
            <label>
              Attempts <input data-testid="fault-count" type="number" min={1} value={count} onInput={(e) => setCount((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <label>
              Retry-After (s) <input type="number" min={0} value={retryAfterSec} onInput={(e) => setRetryAfterSec((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <label>
              Limit <input type="number" min={0} value={limit} onInput={(e) => setLimit((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <label>
              Current <input type="number" min={0} value={current} onInput={(e) => setCurrent((e.currentTarget as HTMLInputElement).value)} />
            </label>
          </>
        )}
        {(kind === 'hold' || kind === 'delay') && (
          <label>
            {kind === 'hold' ? 'For (ms)' : 'By (ms)'} <input data-testid="fault-ms" type="number" min={1} value={ms} onInput={(e) => setMs((e.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        <label>
          <input type="checkbox" checked={pinned} onChange={(e) => setPinned((e.currentTarget as HTMLInputElement).checked)} /> Pin (keep after the panel closes)
        </label>
        <button type="button" data-testid="fault-add" onClick={() => void add()}>
          Inject
        </button>
      </div>
      {message && (
        <p role="alert" class="error">
          {message}
        </p>
      )}
      <h3>
        Active faults ({faults.length}){' '}
        <button type="button" data-testid="fault-clear-all" disabled={faults.length === 0} onClick={() => void ask({ kind: 'fault:clear', tabId })}>
          Clear all
        </button>
      </h3>
      <ul data-testid="fault-list">
        {faults.map((f) => (
          <li key={f.id} data-fault-id={f.id}>
            {f.description}
            {f.pinned ? ' (pinned)' : ''}{' '}
            <button type="button" aria-label={`Clear fault ${f.id}`} onClick={() => void ask({ kind: 'fault:clear', id: f.id })}>
              Clear
            </button>
          </li>
        ))}
      </ul>
      <h2>Deep capture</h2>
      <p class="muted">
        Captures SSE at the network level with the browser’s debugger (asks for the optional “debugger” permission; Chrome shows a
        “started debugging this browser” banner while it is on). Turned off, the permission is given back.
      </p>
      <button type="button" data-testid="deep-toggle" aria-pressed={deepOn} onClick={() => void toggleDeep()}>
        {deepOn ? 'Stop deep capture' : 'Start deep capture'}
      </button>
      {deep && deep.events.length > 0 && (
        <DeepEvents rows={mergeEvents(typeof pageEvents === 'function' ? pageEvents() : pageEvents, deep.events, tabId)} />
      )}
    </section>
  );
}

function DeepEvents({ rows }: { rows: MergedEvent[] }) {
  return (
    <table data-testid="deep-events">
      <caption>SSE events of this tab: seen by the page script, the network (deep capture), or both</caption>
      <thead>
        <tr>
          <th>Source</th>
          <th>Type</th>
          <th>Id</th>
          <th>Data</th>
          <th>URL</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(-500).map((e, i) => (
          <tr key={i} data-source={e.source}>
            <td>{e.source}</td>
            <td>{e.type}</td>
            <td>{e.lastEventId}</td>
            <td>{e.preview}</td>
            <td>{e.url}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
