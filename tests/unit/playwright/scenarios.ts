/**
 * Snapshots of what apps do, built with the extension's real reducer (what a
 * user's test would read): a reference client (one leader, followers over a
 * BroadcastChannel), a naive page (a connection per tab), refusals and retries.
 */
import type { PageEvent, Snapshot } from '../../../src/shared/protocol';
import { buildSnapshot } from '../../../src/background/derive';
import type { Action } from '../../../src/background/reduce';
import { T0, channel, openEs, run, sseUrl, tab } from '../background/fixtures';

export { T0, sseUrl };

export const lockRequest = (id: number, name: string, t = T0): PageEvent => ({ kind: 'lock:request', t, id, name, mode: 'exclusive', ifAvailable: false, steal: false });
export const lockGranted = (id: number, t = T0): PageEvent => ({ kind: 'lock:granted', t, id });

export function refusal(tabId: number, project: string, at: number, retryAfterMs: number | null, method = 'GET', status = 429): Action {
  return {
    kind: 'net:response',
    response: { tabId, url: sseUrl(project), method, status, retryAfterMs, limit: 1, current: 1, at, contentType: 'application/json' },
  };
}

export function snapshotOf(actions: Action[], now = T0 + 1000): Snapshot {
  return buildSnapshot(run([...actions, { kind: 'tick', t: now }]), now);
}

/** Tab 1 holds the lock and the stream and relays; tabs 2..n wait for the lock and listen. */
export function referenceClient(project: string, tabs = 3): Action[] {
  const actions: Action[] = [];
  for (let i = 1; i <= tabs; i++) {
    const t = tab(i, `doc-${i}`, `http://app.test/chat.html?projectId=${project}`);
    actions.push({ ...t.hello, title: 'Chat' });
    const events: PageEvent[] = [lockRequest(1, `sse-${project}`), channel(2, `chat-${project}`)];
    if (i === 1) events.push(lockGranted(1, T0 + 1), ...openEs(3, sseUrl(project), T0 + 2));
    actions.push(t.events(T0 + 5, ...events));
  }
  return actions;
}

/** Every tab opens its own EventSource. */
export function naivePage(project: string, tabs = 3): Action[] {
  const actions: Action[] = [];
  for (let i = 1; i <= tabs; i++) {
    const t = tab(i, `doc-${i}`, `http://app.test/naive.html?projectId=${project}&n=1`);
    actions.push({ ...t.hello, title: 'Naive: N raw EventSources' }, t.events(T0 + 5, ...openEs(1, sseUrl(project), T0 + i)));
  }
  return actions;
}

/** Tab 1: a stream refused at T0+100 with Retry-After `retryAfterMs`, then a new stream created at `retryAt`. */
export function refusedThenRetried(project: string, retryAfterMs: number, retryAt: number): Action[] {
  const t = tab(1, 'doc-1', `http://app.test/chat.html?projectId=${project}`);
  return [
    t.hello,
    t.events(T0 + 50, { kind: 'es:create', t: T0 + 50, id: 1, url: sseUrl(project), withCredentials: false }),
    refusal(1, project, T0 + 100, retryAfterMs),
    t.events(T0 + 110, { kind: 'es:error', t: T0 + 110, id: 1, readyState: 2 }),
    // The reference client's HEAD probe: refused too, not an attempt.
    refusal(1, project, T0 + 150, retryAfterMs, 'HEAD'),
    t.events(retryAt, { kind: 'es:create', t: retryAt, id: 2, url: sseUrl(project), withCredentials: false }),
  ];
}
