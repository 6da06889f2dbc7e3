/**
 * The Project view's "Server view": the server's count and list of this
 * user's connections for the project, next to this browser's, with the
 * difference explained; and its per-project settings. Server data is shown
 * as text only.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Snapshot, SnapshotProject } from '../../shared/protocol';
import { formatTime } from '../model/format';
import {
  browserConnections,
  compareConnections,
  latestRefusalAt,
  monitoringUrl,
  nextDelay,
  POLL_MS,
  type Failure,
  type ServerList,
  type ServerRow,
  type ServerViewSettings,
  type UserIdSource,
} from '../model/server-view';
import { fetchServerList, hiddenBy, loadServerViewSettings, panelVisible, resolveUserId, saveServerViewSettings } from '../server-view';

type PollState =
  | { kind: 'idle' }
  | { kind: 'waiting'; message: string }
  | { kind: 'ok'; list: ServerList; at: number; url: string; userFrom: string; reason: Reason }
  | { kind: 'error'; failure: Failure; at: number; url: string; retryAt: number; last: { list: ServerList; at: number } | null; reason: Reason };

/** Why the server was asked: first time, the regular poll, a new 429 of the project, the Refresh button. */
type Reason = 'start' | 'poll' | '429' | 'manual';

function projectUrls(snapshot: Snapshot, projectKey: string, tabId: number | null): { urls: string[]; pageUrl: string | null } {
  const pageUrl = snapshot.tabs.find((t) => t.tabId === tabId)?.url ?? null;
  const conns = snapshot.connections
    .filter((c) => c.projectKey === projectKey)
    .sort((a, b) => Number(b.tabId === tabId) - Number(a.tabId === tabId) || Number(b.state === 'open') - Number(a.state === 'open') || b.openedAt - a.openedAt)
    .map((c) => c.url);
  return { urls: pageUrl ? [...conns, pageUrl] : conns, pageUrl: pageUrl ?? conns[0] ?? null };
}

function usePoll(snapshot: Snapshot, projectKey: string, tabId: number | null, settings: ServerViewSettings | null): { state: PollState; refresh: () => void } {
  const [state, setState] = useState<PollState>({ kind: 'idle' });
  const snapRef = useRef(snapshot);
  snapRef.current = snapshot;
  const tabRef = useRef(tabId);
  tabRef.current = tabId;
  const refreshRef = useRef<(reason: Reason) => void>(() => undefined);
  const visible = panelVisible.value;
  const on = settings?.enabled === true && visible;

  useEffect(() => {
    if (!on || !settings) return;
    let stopped = false;
    let running = false;
    let again = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: { list: ServerList; at: number } | null = null;
    const controller = new AbortController();
    const schedule = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => void run('poll'), ms);
    };
    let againReason: Reason = 'poll';
    const run = async (reason: Reason): Promise<void> => {
      if (stopped) return;
      if (running) {
        again = true;
        againReason = reason;
        return;
      }
      running = true;
      clearTimeout(timer);
      try {
        const { urls, pageUrl } = projectUrls(snapRef.current, projectKey, tabRef.current);
        const user = await resolveUserId(settings, urls);
        if (stopped) return;
        if (!user.ok) {
          setState({ kind: 'waiting', message: `Cannot tell the user id: ${user.message}.` });
          schedule(POLL_MS);
          return;
        }
        const target = monitoringUrl(settings.template, { userId: user.userId, projectId: projectKey }, pageUrl);
        if (!target.ok) {
          setState({ kind: 'waiting', message: `Cannot make the monitoring URL: ${target.error}.` });
          schedule(POLL_MS);
          return;
        }
        const answer = await fetchServerList(target.url, controller.signal);
        if (stopped) return;
        const at = Date.now();
        if (answer.ok) {
          failures = 0;
          last = { list: answer.list, at };
          setState({ kind: 'ok', list: answer.list, at, url: target.url, userFrom: user.from, reason });
        } else {
          failures++;
          setState({ kind: 'error', failure: answer.failure, at, url: target.url, retryAt: at + nextDelay(failures), last, reason });
        }
        schedule(nextDelay(failures));
      } finally {
        running = false;
        if (again && !stopped) {
          again = false;
          void run(againReason);
        }
      }
    };
    refreshRef.current = (reason) => void run(reason);
    void run('start');
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
      refreshRef.current = () => undefined;
    };
  }, [on, settings, projectKey]);

  // Each new 429 of the project: ask at once.
  const refusedAt = latestRefusalAt(snapshot.rateLimits, projectKey);
  const seenRefusal = useRef(refusedAt);
  useEffect(() => {
    if (refusedAt > seenRefusal.current) {
      seenRefusal.current = refusedAt;
      refreshRef.current('429');
    }
  }, [refusedAt]);

  return { state: on ? state : { kind: 'idle' }, refresh: () => refreshRef.current('manual') };
}

function rowWho(r: ServerRow): string {
  switch (r.kind) {
    case 'elsewhere':
      return 'another browser or device (different user agent)';
    case 'matched':
      return `this browser: tab ${r.tabId ?? '?'} (opened ${((r.deltaMs ?? 0) / 1000).toFixed(1)} s apart)`;
    case 'unmatched':
      return 'not matched to this browser by time (same user agent or none given)';
  }
}

function ServerLists({ snapshot, projectKey, list }: { snapshot: Snapshot; projectKey: string; list: ServerList }) {
  const browser = browserConnections(snapshot.connections, projectKey);
  const cmp = compareConnections(list, browser, navigator.userAgent);
  return (
    <>
      <p class="server-summary" data-testid="server-summary" data-server-count={cmp.serverCount} data-browser-count={cmp.browserCount}>
        <strong>{cmp.summary}</strong>
        {list.limit !== null && <span class="muted"> Server limit: {list.limit}.</span>}
        {list.skipped > 0 && <span class="muted"> {list.skipped} malformed or excess record(s) not shown.</span>}
      </p>
      {cmp.explanations.length > 0 && (
        <ul class="server-diff" data-testid="server-diff" data-held-elsewhere={cmp.heldElsewhere} data-not-on-server={cmp.notOnServer}>
          {cmp.explanations.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <div class="server-columns">
        <table class="grid" data-testid="server-connections" aria-label={`Server's connections for project ${projectKey}`}>
          <caption>Server ({cmp.serverCount})</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Opened</th>
              <th scope="col">Instance</th>
              <th scope="col">Held by</th>
              <th scope="col">User agent</th>
            </tr>
          </thead>
          <tbody>
            {cmp.rows.map((r, i) => (
              <tr key={`${r.connection.id}-${i}`} data-kind={r.kind}>
                <td class="mono">{r.connection.id}</td>
                <td class="mono">{r.connection.openedAt === null ? '—' : formatTime(r.connection.openedAt)}</td>
                <td class="mono">{r.connection.instanceId ?? '—'}</td>
                <td data-testid="held-by">{rowWho(r)}</td>
                <td class="url" title={r.connection.userAgent ?? ''}>{r.connection.userAgent ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="grid" data-testid="browser-connections" aria-label={`This browser's open connections for project ${projectKey}`}>
          <caption>This browser ({cmp.browserCount} open)</caption>
          <thead>
            <tr>
              <th scope="col">Tab</th>
              <th scope="col">URL</th>
              <th scope="col">Opened</th>
              <th scope="col">Server record</th>
            </tr>
          </thead>
          <tbody>
            {cmp.browser.map(({ connection: c, serverId }) => (
              <tr key={c.id} data-connection-id={c.id}>
                <td class="num">{c.tabId}</td>
                <td class="url" title={c.url}>{c.url}</td>
                <td class="mono">{formatTime(c.openedAt)}</td>
                <td class="mono">{serverId ?? 'not matched by time'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function StatusLine({ state, now, onRefresh }: { state: PollState; now: number; onRefresh: () => void }) {
  let text: string;
  switch (state.kind) {
    case 'idle':
      text = 'Asking the server…';
      break;
    case 'waiting':
      text = state.message;
      break;
    case 'ok':
      text = `Asked ${state.url} at ${formatTime(state.at)}${state.reason === '429' ? ' after a new 429' : ''} (user id from ${state.userFrom}); every ${POLL_MS / 1000} s while the panel is visible, and on each 429.`;
      break;
    case 'error':
      text = `Server view unavailable: ${state.failure.message} (${state.url}). Next try in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s.${state.last ? ` Showing the answer of ${formatTime(state.last.at)}.` : ''}`;
      break;
  }
  return (
    <p class="server-status muted" role="status" data-testid="server-status" data-state={state.kind} data-failure={state.kind === 'error' ? state.failure.kind : undefined}
      data-reason={state.kind === 'ok' || state.kind === 'error' ? state.reason : undefined}
    >
      {text}{' '}
      <button type="button" onClick={onRefresh} data-testid="server-refresh">Refresh</button>
    </p>
  );
}

const SOURCES: { id: UserIdSource; label: string }[] = [
  { id: 'query', label: 'a query parameter (connection or page URL)' },
  { id: 'cookie', label: 'a cookie of the page (DevTools panel only)' },
  { id: 'typed', label: 'typed in' },
];

function SettingsForm({ projectKey, settings, onSaved }: { projectKey: string; settings: ServerViewSettings; onSaved: (s: ServerViewSettings) => void }) {
  const [fields, setFields] = useState<ServerViewSettings>(settings);
  const [status, setStatus] = useState<{ kind: 'idle' | 'saved' } | { kind: 'error'; message: string }>({ kind: 'idle' });
  // Saved (or reloaded) settings replace the fields; not on mount, where an edit made before the effect ran would be lost.
  const shown = useRef(settings);
  useEffect(() => {
    if (shown.current === settings) return;
    shown.current = settings;
    setFields(settings);
  }, [settings]);
  const set = <K extends keyof ServerViewSettings>(key: K, value: ServerViewSettings[K]) => {
    setFields((f) => ({ ...f, [key]: value }));
    setStatus({ kind: 'idle' });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await saveServerViewSettings(projectKey, fields);
      if (r.ok) {
        setStatus({ kind: 'saved' });
        onSaved(r.settings);
      } else setStatus({ kind: 'error', message: r.error });
    } catch (error) {
      setStatus({ kind: 'error', message: `Could not save: ${String(error)}` });
    }
  };
  return (
    <form class="server-settings" onSubmit={save} aria-label={`Server view settings for project ${projectKey}`} data-testid="server-settings">
      <div class="field">
        <label>
          <input type="checkbox" checked={fields.enabled} data-testid="server-enabled" onChange={(e) => set('enabled', e.currentTarget.checked)} /> Compare with the
          server for this project
        </label>
      </div>
      <div class="field">
        <label for="server-template">Monitoring URL template</label>
        <input id="server-template" class="mono" type="text" data-testid="server-template" value={fields.template} onInput={(e) => set('template', e.currentTarget.value)} />
        <span class="muted">Relative to the inspected page (or absolute). {'{userId}'} and {'{projectId}'} are replaced, percent-encoded.</span>
      </div>
      <div class="field">
        <label for="server-user-from">User id from</label>
        <select id="server-user-from" data-testid="server-user-from" value={fields.userIdFrom} onChange={(e) => set('userIdFrom', e.currentTarget.value as UserIdSource)}>
          {SOURCES.map((s) => (
            <option key={s.id} value={s.id}>{s.label}</option>
          ))}
        </select>
        {fields.userIdFrom === 'query' && (
          <input aria-label="Query parameter" class="mono" type="text" data-testid="server-query-param" value={fields.queryParam} onInput={(e) => set('queryParam', e.currentTarget.value)} />
        )}
        {fields.userIdFrom === 'cookie' && (
          <input aria-label="Cookie name" class="mono" type="text" data-testid="server-cookie-name" value={fields.cookieName} onInput={(e) => set('cookieName', e.currentTarget.value)} />
        )}
        {fields.userIdFrom === 'typed' && (
          <input aria-label="User id" class="mono" type="text" data-testid="server-user-id" value={fields.userId} onInput={(e) => set('userId', e.currentTarget.value)} />
        )}
      </div>
      <div class="field">
        <button type="submit" data-testid="server-save">Save</button>
        {status.kind === 'saved' && <span role="status"> Saved.</span>}
        {status.kind === 'error' && (
          <span role="alert" class="bad" data-testid="server-settings-error"> {status.message}</span>
        )}
      </div>
    </form>
  );
}

export function ServerView({ snapshot, project, tabId, now }: { snapshot: Snapshot; project: SnapshotProject; tabId: number | null; now: number }) {
  const key = project.projectKey;
  const [settings, setSettings] = useState<{ key: string; value: ServerViewSettings } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    loadServerViewSettings(key).then(
      (value) => live && setSettings({ key, value }),
      (e: unknown) => live && setLoadError(String(e)),
    );
    return () => {
      live = false;
    };
  }, [key]);
  const current = settings?.key === key ? settings.value : null;
  const { state, refresh } = usePoll(snapshot, key, tabId, current);
  const shown = state.kind === 'ok' ? state.list : state.kind === 'error' ? (state.last?.list ?? null) : null;
  return (
    <section class="server-view" data-testid="server-view" aria-label="Server view">
      <h2>Server view</h2>
      {loadError !== null && <p class="muted">Could not read the server view settings: {loadError}</p>}
      {current === null ? (
        <p class="muted">Loading settings…</p>
      ) : !current.enabled ? (
        <p class="muted" data-testid="server-status" data-state="off">
          Off for this project. Turn it on below to ask the server which of this user's connections it holds (who holds the others after a 429).
        </p>
      ) : !panelVisible.value ? (
        <p class="muted" data-testid="server-status" data-state="hidden" data-hidden-by={hiddenBy.value ?? undefined}>
          Paused while the panel is hidden{hiddenBy.value === 'page' ? ' (its window is hidden or minimized)' : ''}.
        </p>
      ) : (
        <>
          <StatusLine state={state} now={now} onRefresh={refresh} />
          {shown && <ServerLists snapshot={snapshot} projectKey={key} list={shown} />}
        </>
      )}
      {current !== null && (
        <details open={!current.enabled}>
          <summary>Server view settings for {key}</summary>
          <SettingsForm projectKey={key} settings={current} onSaved={(value) => setSettings({ key, value })} />
        </details>
      )}
    </section>
  );
}
