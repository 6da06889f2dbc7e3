import { render } from 'preact';
import { signal } from '@preact/signals';
import { App } from './components/App';
import { connectPanel } from './connection';
import { inspectedTabId } from './inspected-tab';
import type { ResponseBody } from './model/bodies';
import { perf } from './perf';
import { applyTheme, BODIES_HOOK, devtools } from './platform';
import { createPanelStore } from './store';
import { watchPanelVisibility } from './server-view';
import { createUi } from './ui';
import { logSize } from './model/log-view';

applyTheme();
const store = createPanelStore(inspectedTabId());
const ui = createUi(store);
const bodies = signal<readonly ResponseBody[]>([]);
// The devtools page collects response bodies from the moment DevTools opens
// and hands them over here (only extension pages can call this).
const bodiesAvailable = devtools() !== undefined;
Object.assign(globalThis, {
  [BODIES_HOOK]: (list: unknown) => {
    if (Array.isArray(list)) bodies.value = list as readonly ResponseBody[];
  },
});
connectPanel(store);
// The server view asks its server only while the panel can be seen.
watchPanelVisibility();
// Countdowns and durations move on even when no message comes.
setInterval(() => (store.now.value = Date.now()), 1000);

// Read-only counters for benchmarks and tests (see docs/panel.md).
Object.defineProperty(perf, 'liveLogSize', { get: () => logSize(store.data.value.log), enumerable: true });
Object.defineProperty(perf, 'olderPending', { get: () => store.olderPending.value, enumerable: true });
Object.assign(globalThis, { __panelPerf: perf });

render(<App store={store} ui={ui} bodies={bodies} bodiesAvailable={bodiesAvailable} />, document.getElementById('app')!);
