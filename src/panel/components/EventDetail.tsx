/** One log entry in full: its fields, and its data pretty-printed when it is JSON. Text only. */
import { useMemo } from 'preact/hooks';
import type { LogEntry } from '../../shared/protocol';
import { formatBytes, formatTime, prettyData } from '../model/format';

export function EventDetail({ entry }: { entry: LogEntry | null }) {
  // Parsed and pretty-printed once per selected entry, not on every update of the live log around it.
  const data = useMemo(() => (entry?.preview !== undefined ? prettyData(entry.preview, entry.size) : null), [entry]);
  if (!entry) return <aside class="detail muted" aria-label="Event details">Select an event to see its details.</aside>;
  const fields: [string, string][] = [
    ['Time', formatTime(entry.t)],
    ['Kind', entry.kind],
    ['Tab', String(entry.tabId) + (entry.frameId > 0 ? ` (frame ${entry.frameId})` : '')],
    ['URL / name', entry.name],
  ];
  if (entry.type !== undefined) fields.push(['Event type', entry.type]);
  if (entry.lastEventId) fields.push(['Last event id', entry.lastEventId]);
  if (entry.size !== undefined) fields.push(['Size', formatBytes(entry.size)]);
  if (entry.status !== undefined) fields.push(['HTTP status', String(entry.status)]);
  if (entry.readyState !== undefined) fields.push(['readyState', String(entry.readyState)]);
  if (entry.info !== undefined) fields.push(['Details', entry.info]);
  if (entry.count !== undefined) fields.push(['Messages', entry.count.toLocaleString('en-US')]);
  if (entry.since !== undefined) fields.push(['First of them', formatTime(entry.since)]);
  if (entry.ref) fields.push(['Id', entry.ref]);
  fields.push(['Sequence', String(entry.seq)]);
  return (
    <aside class="detail" aria-label="Event details" data-testid="event-detail">
      <dl>
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd class="mono">{v}</dd>
          </div>
        ))}
      </dl>
      {data && (
        <section aria-label="Data">
          <h3>
            Data{data.json ? ' (JSON)' : ''}
            {data.truncated && <span class="muted"> — preview of {entry.preview?.length} of {entry.size} characters</span>}
          </h3>
          <pre class="data mono" data-testid="event-data">{data.text}</pre>
        </section>
      )}
    </aside>
  );
}
