/**
 * The virtualized event list: only the rows in view (plus a few) exist in
 * the DOM, whatever the log's length. Rows have one fixed height, so which
 * rows are in view is arithmetic on the scroll offset (`visibleRows`), O(1)
 * per render; a general virtualizer (@tanstack/virtual-core, used before)
 * rebuilt a measurement per row, 100,000 objects, each time the count
 * changed. While the list is scrolled to the bottom it follows new entries,
 * like the DevTools console.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LogEntry } from '../../shared/protocol';
import { findInIndex, indexSize, matchAt, type FilterIndex } from '../model/filter';
import { formatBytes, formatTime, oneLine } from '../model/format';
import { nextIndex } from '../model/keyboard';
import { entryAt, type LogView } from '../model/log-view';
import { visibleRows } from '../model/rows';

export const ROW_HEIGHT = 20;
/** Rows rendered beyond each edge of the view. */
const OVERSCAN = 12;
/** Height assumed before the list is measured. */
const FIRST_HEIGHT = 600;

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
  const follow = useRef(true);
  const count = index ? indexSize(index) : 0;
  // The first row in view and the view's height: state, so scrolling renders only when the rows change.
  const [topRow, setTopRow] = useState(0);
  const [height, setHeight] = useState(0);
  const viewHeight = height > 0 ? height : FIRST_HEIGHT;
  const totalHeight = count * ROW_HEIGHT;
  // Following the tail, the view is at the bottom whatever the last scroll event said.
  const top = follow.current ? Math.max(0, totalHeight - viewHeight) : topRow * ROW_HEIGHT;
  const rows = visibleRows(top, viewHeight, count, ROW_HEIGHT, OVERSCAN);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight);
    measure();
    if (typeof ResizeObserver !== 'function') return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const lastIndex = useRef<FilterIndex | null>(null);
  useLayoutEffect(() => {
    // Older entries loaded in front of the list: keep the rows the user
    // looks at in place (the list follows the tail anyway when at the end).
    const prev = lastIndex.current;
    lastIndex.current = index;
    const el = scrollRef.current;
    if (!el || !index || !prev || follow.current || prev.filter !== index.filter || prev.epoch !== index.epoch) return;
    const added = index.prepended - prev.prepended;
    if (added > 0) el.scrollTop += added * ROW_HEIGHT;
  }, [index]);
  useLayoutEffect(() => {
    // Follow the tail with one scroll write (the browser clamps it).
    const el = scrollRef.current;
    if (follow.current && el && count > 0) el.scrollTop = totalHeight;
  }, [count, totalHeight]);

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
    if (next === count - 1) follow.current = true;
    else unfollow();
    onSelect(entry);
    // Bring the row into view, moving as little as possible.
    const el = scrollRef.current;
    if (!el) return;
    const y = next * ROW_HEIGHT;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = y + ROW_HEIGHT - el.clientHeight;
  };

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
    // While following, the render puts the view at the bottom anyway: no render per followed update.
    if (!follow.current) setTopRow(Math.floor(el.scrollTop / ROW_HEIGHT));
  };
  /** Stop following the tail where the view is now. */
  const unfollow = () => {
    follow.current = false;
    const el = scrollRef.current;
    if (el) setTopRow(Math.floor(el.scrollTop / ROW_HEIGHT));
  };

  const items: { index: number; start: number }[] = [];
  for (let i = rows.first; i < rows.end; i++) items.push({ index: i, start: i * ROW_HEIGHT });
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
        <div style={{ height: `${totalHeight}px`, position: 'relative' }}>
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
                  unfollow();
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
