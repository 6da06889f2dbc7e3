/** Readable builders for reducer fixtures: a tab, its document, and what its page did. */
import type { PageEvent } from '../../../src/shared/protocol';
import { reduce, type Action } from '../../../src/background/reduce';
import { emptyState, type State } from '../../../src/background/state';

export const T0 = 1_700_000_000_000;

export function tab(tabId: number, docId = `doc-${tabId}`, url = `http://app.test/tab${tabId}`) {
  const hello: Action = { kind: 'doc:hello', tabId, frameId: 0, docId, url, title: `Tab ${tabId}`, t: T0 };
  const events = (t: number, ...list: PageEvent[]): Extract<Action, { kind: 'doc:events' }> => ({
    kind: 'doc:events',
    tabId,
    frameId: 0,
    docId,
    events: list,
    invalid: 0,
    dropped: 0,
    t,
  });
  return { tabId, docId, hello, events };
}

export function run(actions: Action[], state: State = emptyState()): State {
  for (const a of actions) state = reduce(state, a);
  return state;
}

/** An EventSource that opened: create + open. */
export function openEs(id: number, url: string, t = T0): PageEvent[] {
  return [
    { kind: 'es:create', t, id, url, withCredentials: false },
    { kind: 'es:open', t: t + 1, id },
  ];
}

export const channel = (id: number, name: string, t = T0): PageEvent => ({ kind: 'bc:create', t, id, name });

export const sseUrl = (project: string) => `http://app.test/api/persistent-chat/stream?projectId=${project}`;
