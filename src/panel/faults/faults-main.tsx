/**
 * The faults view on a page of its own (`faults.html?tabId=N`): for tests and
 * for a detached window. It subscribes like a panel (a `panel:<tabId>` port),
 * so unpinned faults end when it closes, as they do with the real panel.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { panelPortName, type FeedMessage, type LogEntry, type Snapshot } from '../../shared/protocol';
import { FaultsView } from './FaultsView';

/** Page events kept for deep capture's merge. */
const KEEP = 5000;

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
    let load = 0;
    let held = 0;
    const open = (): void => {
      if (stopped) return;
      const port = browser.runtime.connect({ name: panelPortName(tabId ?? 0) });
      port.onMessage.addListener((raw: unknown) => {
        const message = raw as FeedMessage;
        const pageEventsOf = (entries: readonly LogEntry[]) => entries.filter((e) => e.kind === 'es:message' || e.kind === 'fetch:message');
        if (message.kind === 'panel:snapshot') setSnapshot(message.snapshot);
        if (message.kind === 'panel:log') {
          const fresh = pageEventsOf(message.entries);
          setPageEvents((old) => (message.reset ? fresh : [...old, ...fresh]).slice(-KEEP));
        }
        // The log comes newest first: ask for older chunks until KEEP page events are here.
        if (message.kind === 'feed:head') {
          const fresh = pageEventsOf(message.entries);
          load = message.load;
          held = fresh.length;
          setPageEvents(fresh.slice(-KEEP));
          if (message.older > 0 && held < KEEP) port.postMessage({ kind: 'feed:more', load });
        }
        if (message.kind === 'feed:older' && message.load === load) {
          const fresh = pageEventsOf(message.entries);
          held += fresh.length;
          setPageEvents((old) => [...fresh, ...old].slice(-KEEP));
          if (message.remaining > 0 && held < KEEP) port.postMessage({ kind: 'feed:more', load });
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
