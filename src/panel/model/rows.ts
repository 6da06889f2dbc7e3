/** Which rows of a fixed-height list are in view: arithmetic, O(1) whatever the list's length. */
export interface RowRange {
  /** First row to render. */
  first: number;
  /** One past the last row to render. */
  end: number;
}

/**
 * Rows [first, end) covering the view [top, top + height) of a list of
 * `count` rows of `rowHeight` px, with `overscan` rows more on each side.
 */
export function visibleRows(top: number, height: number, count: number, rowHeight: number, overscan: number): RowRange {
  if (count <= 0 || rowHeight <= 0) return { first: 0, end: 0 };
  const maxTop = Math.max(0, count * rowHeight - height);
  const t = Math.min(Math.max(0, top), maxTop);
  const first = Math.max(0, Math.floor(t / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((t + Math.max(0, height)) / rowHeight) + overscan);
  return { first, end: Math.max(first, end) };
}
