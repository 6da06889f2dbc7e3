import { render } from 'preact';
import { App } from './components/App';
import { connectPanel } from './connection';
import { inspectedTabId } from './inspected-tab';
import { createPanelStore } from './store';

const store = createPanelStore(inspectedTabId());
connectPanel(store);
render(<App store={store} />, document.getElementById('app')!);
