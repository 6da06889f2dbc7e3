/**
 * The devtools page: it registers the "SSE Connections" panel, and keeps the
 * bodies of refused responses from the moment DevTools opens (the panel page
 * itself loads only when first shown, so it would miss a 429 that came
 * before). It hands them to the panel each time they change or the panel is
 * shown.
 */
import browser from 'webextension-polyfill';
import type { ResponseBody } from './model/bodies';
import { BODIES_HOOK, SHOWN_HOOK, watchResponseBodies } from './platform';

let bodies: readonly ResponseBody[] = [];
let panelWindow: Window | null = null;

function deliver(): void {
  const receive = (panelWindow as (Window & { [BODIES_HOOK]?: (list: readonly ResponseBody[]) => void }) | null)?.[BODIES_HOOK];
  if (typeof receive === 'function') receive(bodies);
}

function shown(on: boolean): void {
  const hook = (panelWindow as (Window & { [SHOWN_HOOK]?: (shown: boolean) => void }) | null)?.[SHOWN_HOOK];
  if (typeof hook === 'function') hook(on);
}

watchResponseBodies((update) => {
  bodies = update(bodies);
  deliver();
});

// A leading slash: Firefox resolves the path against this page, Chrome against the extension root.
void browser.devtools.panels.create('SSE Connections', '', '/src/panel/panel.html').then((panel) => {
  panel.onShown.addListener((win: Window) => {
    panelWindow = win;
    deliver();
    shown(true);
  });
  // The server view polls only while the panel is shown.
  panel.onHidden.addListener(() => shown(false));
});
