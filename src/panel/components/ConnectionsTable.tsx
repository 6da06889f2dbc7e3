import type { SnapshotConnection } from '../../shared/protocol';
import { formatBytes, formatDuration, formatTime } from '../model/format';
import { connectionDuration } from '../model/views';
import { Empty, selectionKeys, StatePill } from './common';

export interface ConnectionsTableProps {
  connections: readonly SnapshotConnection[];
  now: number;
  label: string;
  selectedId?: string | null;
  onSelect?: (id: string) => void;
  showTab?: boolean;
  /** Fewer columns (the Overview). */
  compact?: boolean;
  emptyText?: string;
}

const rowId = (id: string) => `conn-row-${id.replace(/[^\w.-]/g, '_')}`;

export function ConnectionsTable({ connections, now, label, selectedId = null, onSelect, showTab, compact, emptyText }: ConnectionsTableProps) {
  if (connections.length === 0) return <Empty>{emptyText ?? 'No SSE connections in this tab yet.'}</Empty>;
  const ids = connections.map((c) => c.id);
  const selectable = onSelect !== undefined;
  return (
    <table
      class={`grid${selectable ? ' selectable' : ''}`}
      data-testid="connections"
      aria-label={label}
      tabIndex={selectable ? 0 : undefined}
      aria-activedescendant={selectable && selectedId ? rowId(selectedId) : undefined}
      onKeyDown={selectable ? selectionKeys(ids, selectedId, (id) => onSelect(id)) : undefined}
    >
      <thead>
        <tr>
          <th scope="col">URL</th>
          {showTab && <th scope="col">Tab</th>}
          {!compact && <th scope="col">Project</th>}
          <th scope="col">Transport</th>
          <th scope="col">State</th>
          {!compact && <th scope="col">Opened</th>}
          <th scope="col">Duration</th>
          <th scope="col">Messages</th>
          <th scope="col">Bytes</th>
          {!compact && <th scope="col">Last event id</th>}
          <th scope="col">Reconnects</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {connections.map((c) => (
          <tr
            key={c.id}
            id={rowId(c.id)}
            data-connection-id={c.id}
            data-state={c.state}
            aria-selected={selectable ? c.id === selectedId : undefined}
            class={c.id === selectedId ? 'selected' : undefined}
            onClick={selectable ? () => onSelect(c.id) : undefined}
          >
            <td class="url mono" title={c.url}>{c.url}</td>
            {showTab && <td>{c.tabId}</td>}
            {!compact && <td>{c.projectKey ?? ''}</td>}
            <td>{c.transport}</td>
            <td data-testid="state"><StatePill state={c.state} /></td>
            {!compact && <td class="mono">{formatTime(c.openedAt)}</td>}
            <td>{formatDuration(connectionDuration(c, now))}</td>
            <td data-testid="messages" class="num">{c.messageCount}</td>
            <td class="num">{formatBytes(c.bytes)}</td>
            {!compact && <td class="mono clip" title={c.lastEventId}>{c.lastEventId}</td>}
            <td class="num">{c.reconnects}</td>
            <td data-testid="http-status" class={c.httpStatus !== undefined && c.httpStatus >= 400 ? 'bad' : undefined}>{c.httpStatus ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
