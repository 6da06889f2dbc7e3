import type { Role } from './types.js';

export interface SseDevtoolsHook {
  declareRole(info: { projectKey: string; role: Role }): void;
}

/** Tells the SSE Connections DevTools extension this tab's role, when the extension is there. */
export function declareRole(win: unknown, projectKey: string, role: Role): void {
  try {
    const hook = (win as { __SSE_DEVTOOLS_HOOK__?: SseDevtoolsHook } | undefined)?.__SSE_DEVTOOLS_HOOK__;
    hook?.declareRole({ projectKey, role });
  } catch {
    // the hook is a debugging aid: never let it break the page
  }
}
