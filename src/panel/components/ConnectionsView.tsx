import { useState } from 'preact/hooks';
import type { LogEntry, Snapshot, SnapshotConnection } from '../../shared/protocol';
import { buildCurl } from '../model/curl';
import { formatTime, formatDuration } from '../model/format';
import { entryAt, type LogView } from '../model/log-view';
import { findInIndex, indexSize, matchAt, type FilterIndex } from '../model/filter';
import { copyText } from '../platform';
import { Empty } from './common';
import { ConnectionsTable } from './ConnectionsTable';
import { EventDetail } from './EventDetail';
import { LogList } from './LogList';

export interface ConnectionsViewProps {
  snapshot: Snapshot;
  connections: readonly SnapshotConnection[];
  scope: 'tab' | 'all';
  onScope: (s: 'tab' | 'all') => void;
  now: number;
  selectedId: string | null;
  onSelect: (id: string) => void;
  log: LogView;
  index: FilterIndex | null;
  selectedSeq: number | null;
  onSelectEvent: (seq: number) => void;
}

/** The method of a fetch stream, from its `fetch:open` log entry ("POST 200"), which is among its first. */
function methodOf(log: LogView, index: FilterIndex | null): string | undefined {
  if (!index) return undefined;
  for (let i = 0; i < Math.min(3, indexSize(index)); i++) {
    const pos = matchAt(index, i);
    const e = pos === undefined ? undefined : entryAt(log, pos);
    if (e?.kind === 'fetch:open' && e.info) return e.info.split(' ')[0];
  }
  return undefined;
}

function Curl({ connection, method }: { connection: SnapshotConnection; method: string | undefined }) {
  const [state, setState] = useState<string | null>(null);
  const curl = buildCurl(connection, method ? { method } : {});
  return (
    <div class="curl">
      <button
        type="button"
        data-testid="copy-curl"
        onClick={async () => setState((await copyText(curl.command)) ? 'Copied.' : 'Could not copy: select the command below and copy it.')}
      >
        Copy as cURL
      </button>
      {state && <span class="muted" role="status"> {state}</span>}
      <textarea readOnly class="mono" rows={2} aria-label="cURL command" data-testid="curl-command" value={curl.command} onFocus={(e) => e.currentTarget.select()} />
      {curl.notes.length > 0 && <p class="muted">{curl.notes.join('; ')}</p>}
    </div>
  );
}

export function ConnectionsView(p: ConnectionsViewProps) {
  const selected = p.connections.find((c) => c.id === p.selectedId) ?? null;
  const selectedEntry: LogEntry | null =
    p.selectedSeq === null || !p.index ? null : (findInIndex(p.index, (pos) => entryAt(p.log, pos), p.selectedSeq)?.entry ?? null);
  return (
    <div class="view connections split-v">
      <div class="view-bar">
        <label>
          <input type="checkbox" checked={p.scope === 'all'} onChange={(e) => p.onScope(e.currentTarget.checked ? 'all' : 'tab')} /> All tabs
        </label>
        <span class="muted">{p.connections.length} connection(s). Select one (click or arrow keys) to see its events and failed attempts.</span>
      </div>
      <div class="table-scroll">
        <ConnectionsTable
          connections={p.connections}
          now={p.now}
          label={p.scope === 'all' ? 'Connections of all tabs' : 'Connections of this tab'}
          selectedId={p.selectedId}
          onSelect={p.onSelect}
          showTab={p.scope === 'all'}
          emptyText={p.scope === 'all' ? 'No SSE connections in any tab yet.' : undefined}
        />
      </div>
      {selected ? (
        <section class="connection-detail" aria-label="Selected connection" data-testid="connection-detail">
          <div class="detail-head">
            <strong class="mono clip" title={selected.url}>{selected.url}</strong>
            <span class="muted"> · {selected.errorCount} error(s) · opened {formatTime(selected.openedAt)}</span>
          </div>
          <Curl connection={selected} method={methodOf(p.log, p.index)} />
          <h3>Failed attempts</h3>
          {selected.failedAttempts.length === 0 ? (
            <Empty>No failed attempts.</Empty>
          ) : (
            <table class="grid" data-testid="failed-attempts" aria-label="Failed attempts">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Status</th>
                  <th scope="col">Retry-After</th>
                  <th scope="col">Limit</th>
                  <th scope="col">Current</th>
                </tr>
              </thead>
              <tbody>
                {[...selected.failedAttempts].reverse().map((a, i) => (
                  <tr key={`${a.at}-${i}`}>
                    <td class="mono">{formatTime(a.at)}</td>
                    <td class="bad">{a.status}</td>
                    <td>{a.retryAfterMs === null ? '' : formatDuration(a.retryAfterMs)}</td>
                    <td>{a.limit ?? ''}</td>
                    <td>{a.current ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Events</h3>
          <div class="split-h">
            <LogList
              log={p.log}
              index={p.index}
              selectedSeq={p.selectedSeq}
              onSelect={(e) => p.onSelectEvent(e.seq)}
              label="Events of the selected connection"
              testId="connection-events"
            />
            <EventDetail entry={selectedEntry} />
          </div>
        </section>
      ) : (
        <Empty>No connection selected.</Empty>
      )}
    </div>
  );
}
