/** Arrow-key movement in lists, tables and tab bars. */
export function nextIndex(key: string, current: number, count: number, page = 10): number | null {
  if (count <= 0) return null;
  const at = current < 0 ? -1 : Math.min(current, count - 1);
  switch (key) {
    case 'ArrowDown':
    case 'ArrowRight':
      return at < 0 ? 0 : Math.min(count - 1, at + 1);
    case 'ArrowUp':
    case 'ArrowLeft':
      return at < 0 ? 0 : Math.max(0, at - 1);
    case 'PageDown':
      return Math.min(count - 1, Math.max(0, at) + page);
    case 'PageUp':
      return Math.max(0, at - page);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
