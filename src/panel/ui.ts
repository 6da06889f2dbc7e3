/** What the user picked: the view, selections and the log's filter. Signals only. */
import { computed, signal, type ReadonlySignal } from '@preact/signals';
import { compileFilter, updateIndex, indexSize, type CompileResult, type FilterIndex, type FilterInput } from './model/filter';
import type { LogView } from './model/log-view';
import { perf } from './perf';
import type { PanelStore } from './store';

export const VIEWS = [
  { id: 'overview', label: 'Overview' },
  { id: 'project', label: 'Project' },
  { id: 'connections', label: 'Connections' },
  { id: 'log', label: 'Event log' },
  { id: 'rate-limits', label: 'Rate limits' },
  { id: 'channels', label: 'Channels & locks' },
  { id: 'faults', label: 'Faults' },
  { id: 'settings', label: 'Settings' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

/** An index over `log` for `input`, updated incrementally as the log grows. */
export function logIndex(log: ReadonlySignal<LogView>, input: ReadonlySignal<FilterInput>) {
  const compiled = computed<CompileResult>(() => compileFilter(input.value));
  let last: FilterIndex | null = null;
  const index = computed<FilterIndex | null>(() => {
    const c = compiled.value;
    const view = log.value;
    if (!c.ok) return last;
    const t0 = performance.now();
    const rescan = last === null || last.filter !== c.filter || last.epoch !== view.epoch;
    last = updateIndex(last, view, c.filter);
    perf.recordFilter(last.scanned, performance.now() - t0, rescan);
    return last;
  });
  const error = computed(() => (compiled.value.ok ? null : compiled.value.error));
  return { index, error };
}

export function createUi(store: PanelStore) {
  const view = signal<ViewId>('overview');
  const selectedConnectionId = signal<string | null>(null);
  const selectedSeq = signal<number | null>(null);
  const selectedConnectionEventSeq = signal<number | null>(null);
  const connectionScope = signal<'tab' | 'all'>('tab');
  const logScope = signal<'tab' | 'all'>('tab');
  const filterKind = signal('');
  const filterConnection = signal('');
  const filterChannel = signal('');
  const filterText = signal('');
  const filterRegex = signal(false);

  const logFilter = computed<FilterInput>(() => ({
    kind: filterKind.value,
    connectionId: filterConnection.value,
    channel: filterChannel.value,
    text: filterText.value,
    regex: filterRegex.value,
    tabId: logScope.value === 'tab' ? store.focusTabId.value : null,
    hideUpToSeq: logScope.value === 'tab' ? store.hideUpToSeq.value : null,
  }));
  const logModel = logIndex(store.log, logFilter);

  const connectionFilter = computed<FilterInput>(() => ({
    kind: '',
    connectionId: selectedConnectionId.value ?? '\u0000none',
    channel: '',
    text: '',
    regex: false,
    tabId: null,
    hideUpToSeq: null,
  }));
  const connectionModel = logIndex(
    computed(() => store.data.value.log),
    connectionFilter,
  );

  const shownRows = computed(() => {
    const i = logModel.index.value;
    perf.shownRows = i ? indexSize(i) : 0;
    return perf.shownRows;
  });

  return {
    view,
    selectedConnectionId,
    selectedSeq,
    selectedConnectionEventSeq,
    connectionScope,
    logScope,
    filterKind,
    filterConnection,
    filterChannel,
    filterText,
    filterRegex,
    logModel,
    connectionModel,
    shownRows,
  };
}

export type Ui = ReturnType<typeof createUi>;
