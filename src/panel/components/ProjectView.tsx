import { useState } from 'preact/hooks';
import type { Snapshot } from '../../shared/protocol';
import { formatDuration, formatTime } from '../model/format';
import { leaderChanges, limitUsage, projectTabRows } from '../model/views';
import { Empty, RoleBadge } from './common';
import { ServerView } from './ServerView';

export function ProjectView({ snapshot, tabId, now, live = true }: { snapshot: Snapshot; tabId: number | null; now: number; live?: boolean }) {
  const mine = snapshot.projects.filter((p) => tabId !== null && p.roles.some((r) => r.tabId === tabId));
  const choices = mine.length > 0 ? mine : snapshot.projects;
  const [picked, setPicked] = useState<string | null>(null);
  const project = choices.find((p) => p.projectKey === picked) ?? choices[0];
  if (!project) return <Empty>No project yet: a project appears when a tab opens a connection, channel or lock whose URL or name carries a project key (see Settings).</Empty>;
  const rows = projectTabRows(snapshot, project, now);
  const changes = leaderChanges(project);
  const start = Math.min(...project.leaderHistory.map((s) => s.from), now);
  const span = Math.max(1, now - start);
  return (
    <div class="view project">
      <div class="view-bar">
        <label>
          Project{' '}
          <select value={project.projectKey} onChange={(e) => setPicked(e.currentTarget.value)} aria-label="Project">
            {choices.map((p) => (
              <option key={p.projectKey} value={p.projectKey}>{p.projectKey}</option>
            ))}
          </select>
        </label>
        {mine.length === 0 && <span class="muted">The inspected tab is in no project; showing all projects.</span>}
        <span>{limitUsage(snapshot, project).text}</span>
        <span class="muted">{project.leaderTabIds.length} leader(s), {project.followerTabIds.length} follower(s)</span>
      </div>
      <table class="grid" data-testid="project-tabs" aria-label={`Tabs of project ${project.projectKey}`}>
        <thead>
          <tr>
            <th scope="col">Tab</th>
            <th scope="col">Title / URL</th>
            <th scope="col">Role</th>
            <th scope="col">Source</th>
            <th scope="col">Connections (open / all)</th>
            <th scope="col">Channel out</th>
            <th scope="col">Channel in</th>
            <th scope="col">Time as leader</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.tabId} data-tab-id={r.tabId} data-role={r.role} class={r.tabId === tabId ? 'inspected' : undefined} aria-current={r.tabId === tabId ? 'true' : undefined}>
              <td>{r.tabId}{r.tabId === tabId && <span class="muted"> (this tab)</span>}</td>
              <td class="url" title={r.url}>{r.title || r.url}</td>
              <td><RoleBadge role={r.role} source={r.source} /></td>
              <td>{r.source}</td>
              <td class="num">{r.open} / {r.connections}</td>
              <td class="num" data-testid="posted">{r.posted}</td>
              <td class="num" data-testid="received">{r.received}</td>
              <td>{formatDuration(r.leaderMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {live ? (
        <ServerView snapshot={snapshot} project={project} tabId={tabId} now={now} />
      ) : (
        <p class="muted" data-testid="server-view-imported">Server view: not asked for an imported capture (the server's list is live, the capture is not).</p>
      )}
      <h2>Leader changes</h2>
      {changes.length === 0 ? (
        <Empty>No leader yet.</Empty>
      ) : (
        <>
          <div class="timeline" role="img" aria-label={`Leader timeline: ${changes.map((c) => `tab ${c.tabId} from ${formatTime(c.from)}${c.to ? ` to ${formatTime(c.to)}` : ', still leading'}`).join('; ')}`}>
            {[...changes].reverse().map((c, i) => (
              <div
                key={`${c.tabId}-${c.from}-${i}`}
                class={`span${c.tabId === tabId ? ' inspected' : ''}`}
                style={{ left: `${((c.from - start) / span) * 100}%`, width: `${Math.max(0.5, (((c.to ?? now) - c.from) / span) * 100)}%` }}
                title={`tab ${c.tabId}`}
              >
                {c.tabId}
              </div>
            ))}
          </div>
          <ol class="changes" data-testid="leader-changes" reversed>
            {changes.map((c, i) => (
              <li key={`${c.tabId}-${c.from}-${i}`} data-tab-id={c.tabId}>
                <span class="mono">{formatTime(c.from)}</span> tab {c.tabId}
                {c.tabId === tabId ? ' (this tab)' : ''} became leader
                {c.to === null ? ', still leading' : `, led ${formatDuration(c.to - c.from)} until ${formatTime(c.to)}`}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
