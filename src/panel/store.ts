/**
 * The panel's state: signals fed by the worker's port. Every message from
 * the worker goes through one pure function, `applyMessage`.
 */
import { signal, computed } from '@preact/signals';
import type { LogEntry, PanelMessage, Snapshot } from '../shared/protocol';
import { assertNever } from '../shared/protocol';

export interface PanelData {
  snapshot: Snapshot | null;
  log: LogEntry[];
}

/** Most log entries the panel keeps (the worker keeps its own bound). */
export const PANEL_LOG_LIMIT = 200_000;

export function applyMessage(data: PanelData, message: PanelMessage): PanelData {
  switch (message.kind) {
    case 'panel:snapshot':
      return { ...data, snapshot: message.snapshot };
    case 'panel:log': {
      let log = message.reset ? message.entries.slice() : data.log.concat(message.entries);
      if (log.length > PANEL_LOG_LIMIT) log = log.slice(log.length - PANEL_LOG_LIMIT);
      return { ...data, log };
    }
    default:
      return assertNever(message);
  }
}

export function createPanelStore(tabId: number | null) {
  const data = signal<PanelData>({ snapshot: null, log: [] });
  const connected = signal(false);
  const snapshot = computed(() => data.value.snapshot);
  const tabConnections = computed(() => (data.value.snapshot?.connections ?? []).filter((c) => tabId === null || c.tabId === tabId));
  return {
    tabId,
    data,
    connected,
    snapshot,
    tabConnections,
    receive(message: PanelMessage) {
      data.value = applyMessage(data.value, message);
    },
  };
}

export type PanelStore = ReturnType<typeof createPanelStore>;
