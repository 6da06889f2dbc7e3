/**
 * `window.__SSE_DEVTOOLS_HOOK__`: the one thing the extension adds to a page
 * on purpose. An app (and our reference client) declares its role with
 *
 *   window.__SSE_DEVTOOLS_HOOK__?.declareRole({ projectKey: 'chat', role: 'leader' });
 *
 * It is non-enumerable, read-only and installed once per document. It never
 * throws: a declaration of the wrong shape is ignored and `declareRole`
 * returns false.
 */
import { LIMITS } from '../shared/constants';
import { emit, now } from './context';
import { safely } from './guard';
import { dataProperty } from './lock-options';
import { defineProperty, getOwnPropertyDescriptor, isObjectLike } from './natives';

export const HOOK_NAME = '__SSE_DEVTOOLS_HOOK__';
export const HOOK_VERSION = 1;

export type DeclaredRole = 'leader' | 'follower' | 'standalone';

export interface SseDevtoolsHook {
  readonly version: number;
  declareRole(declaration: { projectKey: string; role: DeclaredRole }): boolean;
}

/** Validate a declaration without calling page getters. Pure. */
export function readDeclaration(declaration: unknown): { projectKey: string; role: DeclaredRole } | null {
  if (!isObjectLike(declaration)) return null;
  const key = dataProperty(declaration, 'projectKey');
  const role = dataProperty(declaration, 'role');
  if (!key || !role) return null;
  if (typeof key.value !== 'string' || key.value.length === 0 || key.value.length > LIMITS.maxName) return null;
  if (role.value !== 'leader' && role.value !== 'follower' && role.value !== 'standalone') return null;
  return { projectKey: key.value, role: role.value };
}

export function installHook(win: object): void {
  if (getOwnPropertyDescriptor(win, HOOK_NAME)) return;
  const hook: SseDevtoolsHook = Object.freeze({
    version: HOOK_VERSION,
    declareRole(declaration: { projectKey: string; role: DeclaredRole }): boolean {
      return (
        safely('hook:role', () => {
          const valid = readDeclaration(declaration);
          if (!valid) return false;
          emit({ kind: 'hook:role', t: now(), projectKey: valid.projectKey, role: valid.role });
          return true;
        }) ?? false
      );
    },
  });
  defineProperty(win, HOOK_NAME, { value: hook, enumerable: false, writable: false, configurable: false });
}
