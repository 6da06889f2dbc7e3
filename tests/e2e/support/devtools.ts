/**
 * Opening the real "SSE Connections" DevTools panel from a test.
 *
 * Chromium runs with --auto-open-devtools-for-tabs (every tab gets a DevTools
 * window, a `page` target at devtools://) and --remote-debugging-port=0. Over
 * the browser's CDP WebSocket we wait until the extension's panel registers
 * in each DevTools window, show it with `DevToolsAPI.showPanel`, and attach
 * to the panel's iframe target whose `chrome.devtools.inspectedWindow.tabId`
 * is the tab under test.
 */
import { Cdp } from './cdp';

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
  /** For an iframe target: the frame (here, the DevTools window) that holds it. */
  parentFrameId?: string;
}

export interface PanelHandle {
  /** Evaluate a function (its source is sent) or an expression in the panel page. */
  evaluate<T>(fn: string | (() => T | Promise<T>)): Promise<T>;
  /** Poll `fn` in the panel page until it returns a truthy value; returns that value. */
  waitFor<T>(fn: () => T | Promise<T>, timeoutMs?: number): Promise<T>;
  /** Visible text of the panel. */
  text(): Promise<string>;
  /** PNG of the DevTools window showing the panel. */
  screenshot(): Promise<Buffer>;
  /** The DevTools window's size for screenshots. */
  setSize(width: number, height: number): Promise<void>;
  url: string;
  close(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openPanel(userDataDir: string, extensionId: string, tabId: number, timeoutMs = 30_000): Promise<PanelHandle> {
  const cdp = await Cdp.connectToProfile(userDataDir);
  const deadline = Date.now() + timeoutMs;
  const panelId = `chrome-extension://${extensionId}SSEConnections`;
  const panelPrefix = `chrome-extension://${extensionId}/src/panel/panel.html`;
  const sessions = new Map<string, string>();
  const sessionFor = async (targetId: string) => {
    let s = sessions.get(targetId);
    if (!s) {
      s = (await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId;
      sessions.set(targetId, s);
    }
    return s;
  };

  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the SSE Connections panel for tab ${tabId} did not appear in DevTools`);
      const { targetInfos } = await cdp.send<{ targetInfos: TargetInfo[] }>('Target.getTargets');
      const windows = targetInfos.filter((t) => t.type === 'page' && t.url.startsWith('devtools://'));
      // Show the panel in every DevTools window (harmless for other tabs).
      for (const w of windows) {
        const s = await sessionFor(w.targetId);
        await cdp
          .evaluate(s, `(() => { try { globalThis.DevToolsAPI?.showPanel(${JSON.stringify(panelId)}); } catch {} return true; })()`)
          .catch(() => undefined);
      }
      // Find the panel iframe of the inspected tab.
      for (const t of targetInfos.filter((x) => x.url.startsWith(panelPrefix))) {
        const s = await sessionFor(t.targetId);
        const inspected = await cdp
          .evaluate<number | null>(s, `globalThis.chrome?.devtools?.inspectedWindow?.tabId ?? null`)
          .catch(() => null);
        if (inspected !== tabId) continue;
        const window = windows.find((w) => w.targetId === t.parentFrameId);
        return makeHandle(cdp, s, window ? await sessionFor(window.targetId) : null, t.url);
      }
      await sleep(150);
    }
  } catch (error) {
    cdp.close();
    throw error;
  }
}

function makeHandle(cdp: Cdp, panel: string, window: string | null, url: string): PanelHandle {
  return {
    url,
    evaluate: <T,>(fn: string | (() => T | Promise<T>)) =>
      cdp.evaluate<T>(panel, typeof fn === 'string' ? fn : `(${fn.toString()})()`),
    waitFor: async <T,>(fn: () => T | Promise<T>, ms = 10_000) => {
      const end = Date.now() + ms;
      let last: unknown;
      while (Date.now() < end) {
        last = await cdp.evaluate<T>(panel, `(${fn.toString()})()`).catch((e: unknown) => e);
        if (last && !(last instanceof Error)) return last as T;
        await sleep(100);
      }
      throw new Error(`panel condition not met in ${ms} ms: ${fn.toString()} (last: ${String(last)})`);
    },
    text: () => cdp.evaluate<string>(panel, 'document.body.innerText'),
    screenshot: async () => {
      if (!window) throw new Error('the DevTools window of this panel was not found');
      const r = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' }, window);
      return Buffer.from(r.data, 'base64');
    },
    setSize: async (width: number, height: number) => {
      if (!window) return;
      await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, window);
    },
    close: () => cdp.close(),
  };
}
