import type { LogEntry, Snapshot } from '../../shared/protocol';
import { ALL_KINDS, KIND_GROUPS } from '../model/kinds';
import { indexSize, type FilterIndex } from '../model/filter';
import { entryAt, logSize, type LogView } from '../model/log-view';
import type { Ui } from '../ui';
import { EventDetail } from './EventDetail';
import { LogList } from './LogList';

export interface EventLogViewProps {
  ui: Ui;
  /** Null until the worker's first snapshot. */
  snapshot: Snapshot | null;
  log: LogView;
  liveLog: LogView;
  index: FilterIndex | null;
  error: string | null;
  paused: boolean;
  /** Older entries of the capture still loading (0: the log is whole). */
  older: number;
  onPause: (on: boolean) => void;
  tabId: number | null;
}

function findEntry(log: LogView, seq: number | null): LogEntry | null {
  if (seq === null) return null;
  // The log is ordered by seq: binary search over absolute positions.
  let a = log.start;
  let b = log.end - 1;
  while (a <= b) {
    const mid = (a + b) >> 1;
    const e = entryAt(log, mid);
    if (!e) return null;
    if (e.seq === seq) return e;
    if (e.seq < seq) a = mid + 1;
    else b = mid - 1;
  }
  return null;
}

export function EventLogView({ ui, snapshot, log, liveLog, index, error, paused, older, onPause, tabId }: EventLogViewProps) {
  const scope = ui.logScope.value;
  const connections = (snapshot?.connections ?? []).filter((c) => scope === 'all' || c.tabId === tabId);
  const channels = [...new Set((snapshot?.channels ?? []).filter((c) => scope === 'all' || c.tabId === tabId).map((c) => c.name))].sort();
  const shown = index ? indexSize(index) : 0;
  // New while paused: entries after the frozen view's end (older ones loading in front are not new).
  const waiting = paused ? Math.max(0, liveLog.end - log.end) : 0;
  return (
    <div class="view log">
      <div class="view-bar filters" role="search" aria-label="Filter events">
        <button type="button" aria-pressed={paused} data-testid="pause" onClick={() => onPause(!paused)} title={paused ? 'Show the events that came while paused' : 'Freeze the list; events keep being captured'}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <input
          type="search"
          placeholder={ui.filterRegex.value ? 'Filter (regular expression)' : 'Filter'}
          aria-label="Filter text"
          aria-invalid={error !== null}
          data-testid="filter-text"
          value={ui.filterText.value}
          onInput={(e) => (ui.filterText.value = e.currentTarget.value)}
        />
        <label title="Treat the filter as a regular expression (case-insensitive)">
          <input type="checkbox" data-testid="filter-regex" checked={ui.filterRegex.value} onChange={(e) => (ui.filterRegex.value = e.currentTarget.checked)} /> Regex
        </label>
        <select aria-label="Kind" data-testid="filter-kind" value={ui.filterKind.value} onChange={(e) => (ui.filterKind.value = e.currentTarget.value)}>
          <option value="">All kinds</option>
          <optgroup label="Groups">
            {KIND_GROUPS.map((g) => (
              <option key={g.id} value={g.id}>{g.label}</option>
            ))}
          </optgroup>
          <optgroup label="Kinds">
            {ALL_KINDS.map((k) => (
              <option key={k} value={k}>{k}</option>
            ))}
          </optgroup>
        </select>
        <select aria-label="Connection" data-testid="filter-connection" value={ui.filterConnection.value} onChange={(e) => (ui.filterConnection.value = e.currentTarget.value)}>
          <option value="">All connections</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>{`${c.tabId} · ${c.url.length > 80 ? c.url.slice(0, 80) + '…' : c.url}`}</option>
          ))}
        </select>
        <select aria-label="Channel" data-testid="filter-channel" value={ui.filterChannel.value} onChange={(e) => (ui.filterChannel.value = e.currentTarget.value)}>
          <option value="">All channels</option>
          {channels.map((name) => (
            <option key={name} value={name}>{name.length > 60 ? name.slice(0, 60) + '…' : name}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={scope === 'all'} onChange={(e) => (ui.logScope.value = e.currentTarget.checked ? 'all' : 'tab')} /> All tabs
        </label>
        <span class="muted" data-testid="log-count" role="status">
          {snapshot === null ? 'waiting for the extension…' : `${shown} of ${logSize(log)} events`}
          {paused && waiting > 0 ? ` · ${waiting} new while paused` : ''}
        </span>
        {older > 0 && (
          <span class="muted" data-testid="log-loading" role="status" title="The newest events are shown; older ones are being loaded from the extension">
            loading {older} older…
          </span>
        )}
      </div>
      {error && <div class="banner error" role="alert" data-testid="filter-error">{error}</div>}
      <div class="split-h grow">
        <LogList
          log={log}
          index={index}
          selectedSeq={ui.selectedSeq.value}
          onSelect={(e) => (ui.selectedSeq.value = e.seq)}
          label="Event log"
          testId="event-log"
          showTab={scope === 'all'}
        />
        <EventDetail entry={findEntry(log, ui.selectedSeq.value)} />
      </div>
    </div>
  );
}
