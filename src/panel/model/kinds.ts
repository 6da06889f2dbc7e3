/** Log entry kinds in the user's words, and the groups the kind filter offers. */
import type { LogKind } from '../../shared/protocol';

export const ALL_KINDS: readonly LogKind[] = [
  'es:create', 'es:state', 'es:open', 'es:message', 'es:message-summary', 'es:error', 'es:close',
  'fetch:open', 'fetch:message', 'fetch:message-summary', 'fetch:end',
  'net:response',
  'bc:create', 'bc:post', 'bc:post-summary', 'bc:receive', 'bc:receive-summary', 'bc:messageerror', 'bc:close',
  'lock:request', 'lock:request-summary', 'lock:granted', 'lock:unavailable', 'lock:released', 'lock:aborted',
  'hook:role', 'wrapper:error', 'doc:gone',
];

export interface KindGroup {
  id: string;
  label: string;
  kinds: readonly LogKind[];
}

export const KIND_GROUPS: readonly KindGroup[] = [
  { id: 'messages', label: 'SSE messages', kinds: ['es:message', 'es:message-summary', 'fetch:message', 'fetch:message-summary'] },
  { id: 'sse', label: 'SSE (all)', kinds: ALL_KINDS.filter((k) => k.startsWith('es:') || k.startsWith('fetch:')) },
  { id: 'net', label: 'HTTP responses', kinds: ['net:response'] },
  { id: 'bc', label: 'BroadcastChannel', kinds: ALL_KINDS.filter((k) => k.startsWith('bc:')) },
  { id: 'lock', label: 'Web Locks', kinds: ALL_KINDS.filter((k) => k.startsWith('lock:')) },
  { id: 'page', label: 'Roles and page', kinds: ['hook:role', 'wrapper:error', 'doc:gone'] },
];

/** The kinds a filter value selects: '' = all, a group id, or one kind. */
export function kindsOf(value: string): ReadonlySet<LogKind> | null {
  if (value === '') return null;
  const group = KIND_GROUPS.find((g) => g.id === value);
  if (group) return new Set(group.kinds);
  const kind = ALL_KINDS.find((k) => k === value);
  return kind ? new Set([kind]) : null;
}

export function isMessageKind(kind: LogKind): boolean {
  return kind === 'es:message' || kind === 'fetch:message' || kind === 'bc:post' || kind === 'bc:receive';
}
