import type { ReadonlySignal } from '@preact/signals';
import type { ResponseBody } from '../model/bodies';
import { nextIndex } from '../model/keyboard';
import type { PanelStore } from '../store';
import { VIEWS, type Ui, type ViewId } from '../ui';
import { ChannelsLocksView } from './ChannelsLocksView';
import { ConnectionsView } from './ConnectionsView';
import { EventLogView } from './EventLogView';
import { Overview } from './Overview';
import { ProjectView } from './ProjectView';
import { RateLimitsView } from './RateLimitsView';
import { SettingsView } from './SettingsView';
import { FaultsView } from '../faults/FaultsView';
import { logEntries } from '../model/log-view';
import { Toolbar } from './Toolbar';

export interface AppProps {
  store: PanelStore;
  ui: Ui;
  bodies: ReadonlySignal<readonly ResponseBody[]>;
  bodiesAvailable: boolean;
}

function Tabs({ ui }: { ui: Ui }) {
  const current = ui.view.value;
  const select = (id: ViewId) => {
    ui.view.value = id;
    document.getElementById(`tab-${id}`)?.focus();
  };
  return (
    <nav class="tabs" role="tablist" aria-label="Views">
      {VIEWS.map((v, i) => (
        <button
          key={v.id}
          id={`tab-${v.id}`}
          type="button"
          role="tab"
          aria-selected={current === v.id}
          aria-controls={`view-${v.id}`}
          tabIndex={current === v.id ? 0 : -1}
          data-view={v.id}
          onClick={() => (ui.view.value = v.id)}
          onKeyDown={(e) => {
            const next = nextIndex(e.key, i, VIEWS.length);
            if (next === null || e.key === 'ArrowUp' || e.key === 'ArrowDown' || e.key.startsWith('Page')) return;
            e.preventDefault();
            const target = VIEWS[next];
            if (target) select(target.id);
          }}
        >
          {v.label}
        </button>
      ))}
    </nav>
  );
}

function ViewBody({ store, ui, bodies, bodiesAvailable }: AppProps) {
  const snapshot = store.snapshot.value;
  const view = ui.view.value;
  if (view === 'settings') return <SettingsView />;
  const tabId = store.focusTabId.value;
  if (view === 'log') {
    // Built before the first data arrives (it says it is waiting), so the first rows cost only themselves.
    return (
      <EventLogView
        ui={ui}
        snapshot={snapshot}
        log={store.log.value}
        liveLog={store.data.value.log}
        index={ui.logModel.index.value}
        error={ui.logModel.error.value}
        paused={store.paused.value}
        older={store.data.value.older}
        onPause={(on) => store.setPaused(on)}
        tabId={tabId}
      />
    );
  }
  if (snapshot === null) return <p class="muted">Loading…</p>;
  const now = store.now.value;
  switch (view) {
    case 'overview':
      return <Overview snapshot={snapshot} tabId={tabId} tabConnections={store.tabConnections.value} now={now} />;
    case 'project':
      return <ProjectView snapshot={snapshot} tabId={tabId} now={now} live={store.imported.value === null} />;
    case 'connections': {
      const scope = ui.connectionScope.value;
      return (
        <ConnectionsView
          snapshot={snapshot}
          connections={scope === 'all' ? snapshot.connections : store.tabConnections.value}
          scope={scope}
          onScope={(s) => (ui.connectionScope.value = s)}
          now={now}
          selectedId={ui.selectedConnectionId.value}
          onSelect={(id) => {
            ui.selectedConnectionId.value = id;
            ui.selectedConnectionEventSeq.value = null;
          }}
          log={store.data.value.log}
          index={ui.connectionModel.index.value}
          selectedSeq={ui.selectedConnectionEventSeq.value}
          onSelectEvent={(seq) => (ui.selectedConnectionEventSeq.value = seq)}
        />
      );
    }
    case 'rate-limits':
      return <RateLimitsView snapshot={snapshot} now={now} bodies={bodies.value} bodiesAvailable={bodiesAvailable} />;
    case 'channels':
      return <ChannelsLocksView snapshot={snapshot} now={now} tabId={tabId} />;
    case 'faults':
      // The page events are read only while deep capture has events to merge.
      return <FaultsView tabId={store.tabId} snapshot={snapshot} pageEvents={() => logEntries(store.data.value.log)} />;
    default:
      return null;
  }
}

export function App(props: AppProps) {
  const view = props.ui.view.value;
  return (
    <main class="panel" aria-label="SSE Connections">
      <Toolbar store={props.store} ui={props.ui} />
      <Tabs ui={props.ui} />
      <section class="view-host" role="tabpanel" id={`view-${view}`} aria-labelledby={`tab-${view}`} data-testid={`view-${view}`}>
        <ViewBody {...props} />
      </section>
    </main>
  );
}
