/** Small shared pieces: role badge, state pill, keyboard-navigable selection. */
import type { ComponentChildren, TargetedKeyboardEvent } from 'preact';
import type { RoleSource } from '../../shared/protocol';
import { nextIndex } from '../model/keyboard';
import { ROLE_SOURCE_TEXT, type BadgeRole } from '../model/views';

export function RoleBadge({ role, source }: { role: BadgeRole; source: RoleSource | null }) {
  const shown = role === 'unknown' ? 'unknown' : role;
  return (
    <span class={`badge role-${shown}`} data-testid="role-badge" data-role={shown} title={source ? ROLE_SOURCE_TEXT[source] : 'no project role'}>
      {shown}
    </span>
  );
}

export function StatePill({ state }: { state: string }) {
  return <span class={`pill state-${state}`}>{state}</span>;
}

/**
 * Arrow keys, Page Up/Down, Home and End move the selection among `ids`;
 * returns the keydown handler for the focusable container.
 */
export function selectionKeys<T>(
  ids: readonly T[],
  selected: T | null,
  onSelect: (id: T, index: number) => void,
): (e: TargetedKeyboardEvent<HTMLElement>) => void {
  return (e) => {
    const current = selected === null ? -1 : ids.indexOf(selected);
    const next = nextIndex(e.key, current, ids.length);
    if (next === null) return;
    e.preventDefault();
    const id = ids[next];
    if (id !== undefined) onSelect(id, next);
  };
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty muted">{children}</p>;
}
