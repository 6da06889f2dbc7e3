/** The settings form's fields to a settings patch, and back. The worker validates again. */
import type { Settings } from '../../shared/protocol';

export interface SettingsFields {
  queryParams: string;
  namePattern: string;
  nameGroup: string;
  previewBytes: string;
  logEntries: string;
  messageLogRate: string;
}

export function fieldsOf(s: Settings): SettingsFields {
  return {
    queryParams: s.projectKeyRules.queryParams.join(', '),
    namePattern: s.projectKeyRules.namePattern,
    nameGroup: String(s.projectKeyRules.nameGroup),
    previewBytes: String(s.previewBytes),
    logEntries: String(s.logEntries),
    messageLogRate: String(s.messageLogRate),
  };
}

function integer(field: string, value: string): number | string {
  const t = value.trim();
  if (!/^\d+$/.test(t)) return `${field}: enter a whole number`;
  return Number(t);
}

/** Form fields to the patch `settings:set` takes; local mistakes are reported before sending. */
export function patchOf(f: SettingsFields): { ok: true; patch: Settings } | { ok: false; error: string } {
  const queryParams = f.queryParams
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  try {
    new RegExp(f.namePattern);
  } catch (error) {
    return { ok: false, error: `Name pattern: ${error instanceof Error ? error.message : 'not a regular expression'}` };
  }
  const nameGroup = integer('Name group', f.nameGroup);
  if (typeof nameGroup === 'string') return { ok: false, error: nameGroup };
  const previewBytes = integer('Preview size', f.previewBytes);
  if (typeof previewBytes === 'string') return { ok: false, error: previewBytes };
  const logEntries = integer('Log entries', f.logEntries);
  if (typeof logEntries === 'string') return { ok: false, error: logEntries };
  const messageLogRate = integer('Message log rate', f.messageLogRate);
  if (typeof messageLogRate === 'string') return { ok: false, error: messageLogRate };
  return {
    ok: true,
    patch: { projectKeyRules: { queryParams, namePattern: f.namePattern, nameGroup }, previewBytes, logEntries, messageLogRate },
  };
}

/** What the worker answered to `settings:set`, checked (it crosses a boundary). */
export function readSetAnswer(answer: unknown): { ok: true; settings: Settings } | { ok: false; error: string } {
  if (typeof answer !== 'object' || answer === null) return { ok: false, error: 'No answer from the extension.' };
  const a = answer as { ok?: unknown; error?: unknown; settings?: unknown };
  if (a.ok === true && typeof a.settings === 'object' && a.settings !== null) return { ok: true, settings: a.settings as Settings };
  if (typeof a.error === 'string') return { ok: false, error: a.error };
  return { ok: false, error: 'Unexpected answer from the extension.' };
}
