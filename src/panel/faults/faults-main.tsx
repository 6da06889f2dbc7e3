/**
 * The faults view on a page of its own (`faults.html?tabId=N`): for tests and
 * for a detached window. It subscribes like a panel (a `panel:<tabId>` port),
 * so unpinned faults end when it closes, as they do with the real panel.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { panelPortName, type LogEntry, type PanelMessage, type Snapshot } from '../../shared/protocol';
import { FaultsView } from './FaultsView';

function tabIdFromQuery(): number | null {
  const n = Number(new URLSearchParams(location.search).get('tabId'));
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function Page() {
  const tabId = tabIdFromQuery();
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [pageEvents, setPageEvents] = useState<readonly LogEntry[]>([]);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = (): void => {
      if (stopped) return;
      const port = browser.runtime.connect({ name: panelPortName(tabId ?? 0) });
      port.onMessage.addListener((raw: unknown) => {
        const message = raw as PanelMessage;
        if (message.kind === 'panel:snapshot') setSnapshot(message.snapshot);
        if (message.kind === 'panel:log') {
          const fresh = message.entries.filter((e) => e.kind === 'es:message' || e.kind === 'fetch:message');
          setPageEvents((old) => (message.reset ? fresh : [...old, ...fresh]).slice(-5000));
        }
      });
      port.onDisconnect.addListener(() => {
        if (!stopped) timer = setTimeout(open, 200);
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tabId]);
  return <FaultsView tabId={tabId} snapshot={snapshot} pageEvents={pageEvents} />;
}

render(<Page />, document.getElementById('app')!);
