import { render } from 'preact';
import { signal } from '@preact/signals';
import { App } from './components/App';
import { connectPanel } from './connection';
import { inspectedTabId } from './inspected-tab';
import type { ResponseBody } from './model/bodies';
import { perf } from './perf';
import { applyTheme, watchResponseBodies } from './platform';
import { createPanelStore } from './store';
import { createUi } from './ui';
import { logSize } from './model/log-view';

applyTheme();
const store = createPanelStore(inspectedTabId());
const ui = createUi(store);
const bodies = signal<readonly ResponseBody[]>([]);
const bodiesAvailable = watchResponseBodies((update) => (bodies.value = update(bodies.value)));
connectPanel(store);
// Countdowns and durations move on even when no message comes.
setInterval(() => (store.now.value = Date.now()), 1000);

// Read-only counters for benchmarks and tests (see docs/panel.md).
Object.assign(globalThis, {
  __panelPerf: Object.assign(perf, {
    get liveLogSize() {
      return logSize(store.data.value.log);
    },
  }),
});

render(<App store={store} ui={ui} bodies={bodies} bodiesAvailable={bodiesAvailable} />, document.getElementById('app')!);
