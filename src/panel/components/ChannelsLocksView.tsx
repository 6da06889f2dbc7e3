import type { Snapshot } from '../../shared/protocol';
import { formatDuration, formatTime } from '../model/format';
import { channelGroups, sortLocks } from '../model/views';
import { Empty } from './common';

const tabs = (list: { tabId: number; count: number }[]) => list.map((x) => `${x.tabId} (${x.count})`).join(', ');

export function ChannelsLocksView({ snapshot, now, tabId }: { snapshot: Snapshot; now: number; tabId: number | null }) {
  const groups = channelGroups(snapshot.channels);
  const locks = sortLocks(snapshot.locks);
  return (
    <div class="view channels">
      <h2>BroadcastChannel traffic</h2>
      {groups.length === 0 ? (
        <Empty>No BroadcastChannel seen yet.</Empty>
      ) : (
        <table class="grid" data-testid="channels" aria-label="BroadcastChannel traffic per channel">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Project</th>
              <th scope="col">Open</th>
              <th scope="col">Posted</th>
              <th scope="col">Received</th>
              <th scope="col">Sending tabs (messages)</th>
              <th scope="col">Receiving tabs (messages)</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.name} data-channel={g.name}>
                <td class="mono">{g.name}</td>
                <td>{g.projectKey ?? ''}</td>
                <td class="num">{g.open}</td>
                <td class="num" data-testid="posted">{g.posted}</td>
                <td class="num" data-testid="received">{g.received}</td>
                <td data-testid="senders">{tabs(g.senders)}</td>
                <td data-testid="receivers">{tabs(g.receivers)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Web Locks</h2>
      {locks.length === 0 ? (
        <Empty>No Web Lock requests seen yet.</Empty>
      ) : (
        <table class="grid" data-testid="locks" aria-label="Web Locks, held and queued first">
          <thead>
            <tr>
              <th scope="col">Lock</th>
              <th scope="col">Tab</th>
              <th scope="col">Project</th>
              <th scope="col">Mode</th>
              <th scope="col">State</th>
              <th scope="col">Requested</th>
              <th scope="col">Waited / held</th>
            </tr>
          </thead>
          <tbody>
            {locks.map((l) => (
              <tr key={l.id} data-state={l.state} class={l.tabId === tabId ? 'inspected' : undefined}>
                <td class="mono">{l.name}</td>
                <td>{l.tabId}{l.tabId === tabId ? ' (this tab)' : ''}</td>
                <td>{l.projectKey ?? ''}</td>
                <td>{l.mode}</td>
                <td><span class={`pill lock-${l.state}`}>{l.state}</span></td>
                <td class="mono">{formatTime(l.requestedAt)}</td>
                <td>
                  {l.state === 'queued'
                    ? `waiting ${formatDuration(now - l.requestedAt)}`
                    : l.state === 'held' && l.grantedAt !== null
                      ? `held ${formatDuration(now - l.grantedAt)}`
                      : l.grantedAt !== null && l.releasedAt !== null
                        ? `held ${formatDuration(l.releasedAt - l.grantedAt)}`
                        : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
