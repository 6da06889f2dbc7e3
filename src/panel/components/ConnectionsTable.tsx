import type { SnapshotConnection } from '../../shared/protocol';

export function ConnectionsTable({ connections }: { connections: SnapshotConnection[] }) {
  if (connections.length === 0) return <p class="muted">No SSE connections in this tab yet.</p>;
  return (
    <table class="grid" data-testid="connections">
      <thead>
        <tr>
          <th scope="col">URL</th>
          <th scope="col">Transport</th>
          <th scope="col">State</th>
          <th scope="col">Messages</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {connections.map((c) => (
          <tr key={c.id} data-connection-id={c.id} data-state={c.state}>
            <td class="url" title={c.url}>{c.url}</td>
            <td>{c.transport}</td>
            <td data-testid="state">{c.state}</td>
            <td data-testid="messages">{c.messageCount}</td>
            <td>{c.httpStatus ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
