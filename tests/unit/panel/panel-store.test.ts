/** The signals store and the UI's filtered log, driven as the port drives them (signals run in node). */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPanelStore } from '../../../src/panel/store';
import { createUi } from '../../../src/panel/ui';
import { indexSize } from '../../../src/panel/model/filter';
import { logSize } from '../../../src/panel/model/log-view';
import { connection, entry, message, resetSeq, snapshot, T0 } from './fixtures';

beforeEach(resetSeq);

function setup(tabId: number | null = 1) {
  const store = createPanelStore(tabId);
  const ui = createUi(store);
  return { store, ui, shown: () => indexSize(ui.logModel.index.value!) };
}

describe('panel store', () => {
  it('applies queued messages in one batch on flush', () => {
    const { store } = setup();
    store.receive({ kind: 'panel:snapshot', snapshot: snapshot() });
    store.receive({ kind: 'panel:log', entries: [message('a')], reset: true });
    expect(store.snapshot.value).toBeNull();
    store.flush();
    expect(store.snapshot.value?.connections).toHaveLength(1);
    expect(logSize(store.log.value)).toBe(1);
  });

  it('drops new log entries while recording is off, keeps the snapshot live', () => {
    const { store } = setup();
    store.receive({ kind: 'panel:log', entries: [message('a')], reset: true });
    store.flush();
    store.recording.value = false;
    store.receive({ kind: 'panel:log', entries: [message('b')], reset: false });
    store.receive({ kind: 'panel:snapshot', snapshot: snapshot({ generatedAt: T0 + 1 }) });
    store.flush();
    expect(logSize(store.log.value)).toBe(1);
    expect(store.snapshot.value?.generatedAt).toBe(T0 + 1);
  });

  it('a paused log stands still while entries keep arriving, and catches up on resume', () => {
    const { store, shown } = setup();
    store.receive({ kind: 'panel:log', entries: [message('a')], reset: true });
    store.flush();
    store.setPaused(true);
    store.receive({ kind: 'panel:log', entries: [message('b'), message('c')], reset: false });
    store.flush();
    expect(shown()).toBe(1);
    expect(logSize(store.data.value.log)).toBe(3);
    store.setPaused(false);
    expect(shown()).toBe(3);
  });

  it('with "preserve log" off, hides the tab’s events and closed connections from before its last navigation', () => {
    const { store, ui, shown } = setup(1);
    store.receive({
      kind: 'panel:snapshot',
      snapshot: snapshot({
        connections: [connection({ id: 'old', state: 'closed', closedAt: T0 + 500 }), connection({ id: 'new', openedAt: T0 + 600 })],
      }),
    });
    const old = message('old page');
    const gone = entry('doc:gone', { tabId: 1, frameId: 0, t: T0 + 500 });
    store.receive({ kind: 'panel:log', entries: [old, gone, message('new page'), message('other tab', { tabId: 2 })], reset: true });
    store.flush();
    expect(shown()).toBe(1);
    expect(store.tabConnections.value.map((c) => c.id)).toEqual(['new']);
    store.setPreserveLog(true);
    expect(shown()).toBe(3);
    expect(store.tabConnections.value.map((c) => c.id)).toEqual(['old', 'new']);
    ui.logScope.value = 'all';
    expect(shown()).toBe(4);
  });

  it('filters the log as the user types; a bad regex keeps the last good list and says why', () => {
    const { store, ui, shown } = setup(null);
    store.receive({ kind: 'panel:log', entries: [message('{"n":1}'), message('{"n":2}'), entry('bc:post', { preview: 'x' })], reset: true });
    store.flush();
    ui.logScope.value = 'all';
    ui.filterText.value = '"n":2';
    expect(shown()).toBe(1);
    ui.filterRegex.value = true;
    ui.filterText.value = '"n":[12';
    expect(ui.logModel.error.value).toMatch(/invalid regular expression/);
    expect(shown()).toBe(1);
    ui.filterText.value = '"n":[12]';
    expect(ui.logModel.error.value).toBeNull();
    expect(shown()).toBe(2);
  });

  it('lists a selected connection’s events', () => {
    const { store, ui } = setup();
    store.receive({ kind: 'panel:log', entries: [message('a', { ref: 'c1' }), message('b', { ref: 'c2' }), message('c', { ref: 'c1' })], reset: true });
    store.flush();
    ui.selectedConnectionId.value = 'c1';
    expect(indexSize(ui.connectionModel.index.value!)).toBe(2);
  });
});
