/**
 * The virtualized event list (@tanstack/virtual-core): only the rows in view
 * (plus a few) exist in the DOM, whatever the log's length. Rows have one
 * fixed height, so nothing is measured. While the list is scrolled to the
 * bottom it follows new entries, like the DevTools console.
 */
import { useLayoutEffect, useMemo, useReducer, useRef } from 'preact/hooks';
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { LogEntry } from '../../shared/protocol';
import { findInIndex, indexSize, matchAt, type FilterIndex } from '../model/filter';
import { formatBytes, formatTime, oneLine } from '../model/format';
import { nextIndex } from '../model/keyboard';
import { entryAt, type LogView } from '../model/log-view';

export const ROW_HEIGHT = 20;

export interface LogListProps {
  log: LogView;
  index: FilterIndex | null;
  selectedSeq: number | null;
  onSelect: (entry: LogEntry) => void;
  label: string;
  testId: string;
  showTab?: boolean;
}

function summary(e: LogEntry): string {
  if (e.preview !== undefined) return e.preview;
  if (e.info !== undefined) return e.info;
  if (e.readyState !== undefined) return `readyState ${e.readyState}`;
  return '';
}

export function LogList({ log, index, selectedSeq, onSelect, label, testId, showTab }: LogListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const follow = useRef(true);
  const count = index ? indexSize(index) : 0;

  const virtualizer = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, HTMLDivElement>({
        count,
        getScrollElement: () => scrollRef.current,
        estimateSize: () => ROW_HEIGHT,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        overscan: 12,
        onChange: () => rerender(0),
      }),
    // Created once; options are updated below on every render.
    [],
  );
  virtualizer.setOptions({ ...virtualizer.options, count });

  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => {
    virtualizer._willUpdate();
  });
  useLayoutEffect(() => {
    // Follow the tail with one scroll write (the browser clamps it); the
    // virtualizer's scrollToIndex reads layout back and retries across
    // frames, which cost several ms per update at 2,000 events/s.
    const el = scrollRef.current;
    if (follow.current && el && count > 0) el.scrollTop = virtualizer.getTotalSize();
  }, [count, virtualizer]);

  const entryOf = (i: number): LogEntry | undefined => {
    const pos = index ? matchAt(index, i) : undefined;
    return pos === undefined ? undefined : entryAt(log, pos);
  };

  const selectedIndex = useMemo(
    () => (selectedSeq === null || !index ? -1 : (findInIndex(index, (pos) => entryAt(log, pos), selectedSeq)?.i ?? -1)),
    [selectedSeq, index, log],
  );

  const onKeyDown = (e: KeyboardEvent) => {
    const next = nextIndex(e.key, selectedIndex, count, Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 200) / ROW_HEIGHT) - 1));
    if (next === null) return;
    e.preventDefault();
    const entry = entryOf(next);
    if (!entry) return;
    follow.current = next === count - 1;
    onSelect(entry);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const onScroll = () => {
    const el = scrollRef.current;
    if (el) follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div class="log-list" data-testid={testId}>
      <div class="log-row log-head" role="row" aria-hidden="true">
        <span class="c-time">Time</span>
        {showTab && <span class="c-tab">Tab</span>}
        <span class="c-kind">Kind</span>
        <span class="c-type">Type</span>
        <span class="c-data">Data / details</span>
        <span class="c-size">Size</span>
        <span class="c-name">URL / name</span>
      </div>
      <div
        ref={scrollRef}
        class="log-scroll"
        role="grid"
        aria-label={label}
        aria-rowcount={count}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onScroll={onScroll}
        data-rows={count}
      >
        <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
          {items.map((item, slot) => {
            const e = entryOf(item.index);
            if (!e) return null;
            const selected = e.seq === selectedSeq;
            return (
              // Keyed by slot, not by entry: while the list follows a fast
              // stream, the same row elements get new text instead of being
              // removed and created again.
              <div
                key={slot}
                role="row"
                aria-rowindex={item.index + 1}
                aria-selected={selected}
                data-seq={e.seq}
                data-kind={e.kind}
                class={`log-row${selected ? ' selected' : ''} kind-${e.kind.replace(':', '-')}`}
                style={{ transform: `translateY(${item.start}px)` }}
                onClick={() => {
                  follow.current = false;
                  onSelect(e);
                }}
              >
                <span role="gridcell" class="c-time mono">{formatTime(e.t)}</span>
                {showTab && <span role="gridcell" class="c-tab">{e.tabId}</span>}
                <span role="gridcell" class="c-kind">{e.kind}</span>
                <span role="gridcell" class="c-type">{e.type ?? (e.status !== undefined ? String(e.status) : '')}</span>
                <span role="gridcell" class="c-data mono">{oneLine(summary(e))}</span>
                <span role="gridcell" class="c-size">{e.size !== undefined ? formatBytes(e.size) : ''}</span>
                <span role="gridcell" class="c-name mono">{oneLine(e.name, 200)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
