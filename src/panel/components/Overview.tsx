import type { Snapshot, SnapshotAnomaly, SnapshotConnection } from '../../shared/protocol';
import { anomalyHelp } from '../model/anomaly-help';
import { badgeOf, connectionsOfProject, countStates, limitUsage, projectsOfTab, rolesOfTab, ROLE_SOURCE_TEXT, type StateCounts } from '../model/views';
import { RoleBadge } from './common';
import { ConnectionsTable } from './ConnectionsTable';

function Counts({ label, counts, testId }: { label: string; counts: StateCounts; testId: string }) {
  return (
    <div class="counts" data-testid={testId} role="group" aria-label={`${label}: connection counts`}>
      <span class="counts-label">{label}</span>
      <span class="count state-open" data-count="open">{counts.open} open</span>
      <span class="count state-connecting" data-count="connecting">{counts.connecting} connecting</span>
      <span class="count state-closed" data-count="closed">{counts.closed} closed</span>
    </div>
  );
}

export function AnomalyBanner({ anomaly, tabId }: { anomaly: SnapshotAnomaly; tabId: number | null }) {
  const help = anomalyHelp(anomaly.kind);
  const involves = tabId !== null && anomaly.tabIds.includes(tabId);
  return (
    <div class={`banner ${help.severity}`} role={help.severity === 'error' ? 'alert' : 'status'} data-testid="anomaly" data-kind={anomaly.kind}>
      <strong>{help.title}</strong>
      {anomaly.projectKey !== null && <span class="muted"> · project {anomaly.projectKey}</span>}
      {involves && <span class="muted"> · involves this tab</span>}
      <p>{anomaly.message}</p>
      <p class="advice">
        <span class="muted">What to do: </span>
        {help.action}
      </p>
    </div>
  );
}

export function Overview({ snapshot, tabId, tabConnections, now }: { snapshot: Snapshot; tabId: number | null; tabConnections: readonly SnapshotConnection[]; now: number }) {
  const roles = tabId === null ? [] : rolesOfTab(snapshot, tabId);
  const badge = badgeOf(roles);
  const projects = tabId === null ? [] : projectsOfTab(snapshot, tabId);
  const projectConnections = projects.flatMap((p) => connectionsOfProject(snapshot, p.projectKey));
  return (
    <div class="view overview">
      <section class="summary" aria-label="This tab">
        <div class="role-line">
          <span class="muted">This tab is</span> <RoleBadge role={badge.role} source={badge.source} />
          {badge.source && <span class="muted" data-testid="role-source"> {ROLE_SOURCE_TEXT[badge.source]}</span>}
          {roles.length > 1 && (
            <span class="muted"> · also {roles.slice(1).map((r) => `${r.role} in ${r.projectKey}`).join(', ')}</span>
          )}
          {roles[0] && <span class="muted"> · project <span class="mono">{roles[0].projectKey}</span></span>}
        </div>
        <Counts label="This tab" counts={countStates(tabConnections)} testId="counts-tab" />
        <Counts label={projects.length ? `Project ${projects.map((p) => p.projectKey).join(', ')}` : 'Project (none)'} counts={countStates(projectConnections)} testId="counts-project" />
        <Counts label="All tabs" counts={countStates(snapshot.connections)} testId="counts-all" />
        {projects.map((p) => {
          const usage = limitUsage(snapshot, p);
          return (
            <div class={`limit${usage.full ? ' full' : ''}`} key={p.projectKey} data-testid="limit-usage">
              <span class="counts-label">Limit, {p.projectKey}</span>
              <strong>{usage.text}</strong>
              <span class="muted"> {usage.from === 'server' ? '(as the server last said in its headers)' : '(connections open in this browser)'}</span>
            </div>
          );
        })}
      </section>
      <section aria-label="Anomalies" class="anomalies">
        {snapshot.anomalies.length === 0 ? (
          <p class="muted" data-testid="no-anomalies">No anomalies: one leader per project, no retry storms, within limits.</p>
        ) : (
          snapshot.anomalies.map((a, i) => <AnomalyBanner key={`${a.kind}-${a.projectKey}-${i}`} anomaly={a} tabId={tabId} />)
        )}
      </section>
      <section aria-label="Connections of this tab">
        <h2>Connections of this tab</h2>
        <ConnectionsTable connections={tabConnections} now={now} label="Connections of this tab" compact />
      </section>
    </div>
  );
}
