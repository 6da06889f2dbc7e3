/** Formatting for the views: times, durations, sizes, countdowns, data previews. */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time with milliseconds, as DevTools shows it: 14:03:07.215. */
export function formatTime(t: number): string {
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A duration in the largest sensible units: 850 ms, 4.2 s, 3 m 07 s, 2 h 05 m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${pad(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} m`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** What the rate-limit countdown says at `now` for a refusal at `at` with Retry-After. */
export function retryCountdown(at: number, retryAfterMs: number | null, now: number): { text: string; waiting: boolean } {
  if (retryAfterMs === null) return { text: 'no Retry-After', waiting: false };
  const remaining = at + retryAfterMs - now;
  if (remaining > 0) return { text: `retry allowed in ${Math.ceil(remaining / 1000)} s`, waiting: true };
  return { text: `retry allowed since ${formatTime(at + retryAfterMs)}`, waiting: false };
}

export interface DataText {
  text: string;
  /** The text is JSON, re-indented. */
  json: boolean;
  /** The preview is shorter than the data. */
  truncated: boolean;
}

/** Deepest nesting pretty-printed; deeper data is shown as it came. */
const MAX_PRETTY_CHARS = 256 * 1024;

/** A data preview for the detail pane: JSON pretty-printed (as text), anything else as it is. */
export function prettyData(preview: string, size?: number): DataText {
  const truncated = size !== undefined && size > preview.length;
  const trimmed = preview.trim();
  if (!truncated && trimmed.length <= MAX_PRETTY_CHARS && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), json: true, truncated };
    } catch {
      // Not JSON after all: show it as it came.
    }
  }
  return { text: preview, json: false, truncated };
}

/** One line for a table cell: control characters shown as spaces, cut at `max`. */
export function oneLine(s: string, max = 300): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
