/**
 * The real Firefox devtools toolbox, driven from the chrome scope:
 * `gDevTools.showToolboxForTab(tab)`, the add-on's panel among
 * `toolbox.getAdditionalTools()`, `toolbox.selectTool(id)`, then the panel
 * page's DOM read with a frame script in its (remote) <browser>.
 *
 * These are Firefox internals, not a public API. When they are missing the
 * caller gets `{ unavailable: reason }` and must report the step as skipped,
 * saying why; everything else that goes wrong is a failure.
 */
import { waitFor, type Firefox } from './firefox';

export interface PanelView {
  toolId: string;
  label: string;
  /** URL of the document shown in the panel. */
  url: string;
  /** `browser.devtools.inspectedWindow.tabId` as the panel page sees it (null if unreadable). */
  inspectedTabId: number | null;
  text: string;
}

export type ToolboxResult = { ok: true; tools: { id: string; label: string }[] } | { unavailable: string };

const LOADER = `ChromeUtils.importESModule('resource://devtools/shared/loader/Loader.sys.mjs').require`;

/** Chrome-scope source: the <tab> whose page has exactly this URL. */
const findTab = (url: string) => `(() => {
  const win = Services.wm.getMostRecentWindow('navigator:browser');
  return [...win.gBrowser.tabs].find((t) => t.linkedBrowser.currentURI.spec === ${JSON.stringify(url)}) ?? null;
})()`;

/** Open the toolbox for the tab showing `url` and list its add-on panels (waits until at least one registers). */
export async function openToolbox(ff: Firefox, url: string, timeoutMs = 20_000): Promise<ToolboxResult> {
  const probe = await ff.chrome<{ missing: string | null }>(`(() => {
    try {
      const require = ${LOADER};
      const { gDevTools } = require('devtools/client/framework/devtools');
      if (typeof gDevTools?.showToolboxForTab !== 'function') return { missing: 'gDevTools.showToolboxForTab is not a function' };
      return { missing: null };
    } catch (e) {
      return { missing: 'devtools loader not reachable from chrome scope: ' + e };
    }
  })()`).catch((e: unknown) => ({ missing: `chrome-scope evaluation refused: ${e instanceof Error ? e.message : String(e)}` }));
  if (probe.missing) return { unavailable: probe.missing };

  const shown = await ff.chrome<{ error?: string }>(`(async () => {
    const { gDevTools } = (${LOADER})('devtools/client/framework/devtools');
    const tab = ${findTab(url)};
    if (!tab) return { error: 'no tab shows ' + ${JSON.stringify(url)} };
    await gDevTools.showToolboxForTab(tab);
    return {};
  })()`);
  if (shown.error) throw new Error(shown.error);
  const tools = await waitFor(
    'an add-on panel in the devtools toolbox',
    async () => {
      const list = await ff.chrome<{ id: string; label: string }[] | null>(`(() => {
        const { gDevTools } = (${LOADER})('devtools/client/framework/devtools');
        const toolbox = gDevTools.getToolboxForTab(${findTab(url)});
        return toolbox ? toolbox.getAdditionalTools().map((t) => ({ id: t.id, label: t.label })) : null;
      })()`);
      return list && list.length > 0 ? list : null;
    },
    timeoutMs,
  );
  return { ok: true, tools };
}

/**
 * Select an add-on panel and read what it shows, once its page has loaded.
 * `clickLabel`: first click the button or tab whose text matches it (case-insensitive).
 */
export async function readPanel(ff: Firefox, url: string, toolId: string, clickLabel?: string): Promise<PanelView> {
  const doc = await ff.chrome<{ label: string; url: string | null; error?: string }>(`(async () => {
    const { gDevTools } = (${LOADER})('devtools/client/framework/devtools');
    const toolbox = gDevTools.getToolboxForTab(${findTab(url)});
    if (!toolbox) return { error: 'the toolbox closed' };
    const tool = toolbox.getAdditionalTools().find((t) => t.id === ${JSON.stringify(toolId)});
    if (!tool) return { error: 'tool gone' };
    if (toolbox.currentToolId !== tool.id) await toolbox.selectTool(tool.id);
    const frame = toolbox.doc.getElementById('toolbox-panel-iframe-' + tool.id);
    const inner = frame?.contentDocument?.querySelector('browser');
    return { label: tool.label, url: inner?.currentURI?.spec ?? null };
  })()`);
  if (doc.error) throw new Error(doc.error);
  if (!doc.url || doc.url === 'about:blank') return { toolId, label: doc.label, url: doc.url ?? '', inspectedTabId: null, text: '' };
  // The panel page lives in the extension process: a frame script reads it and answers.
  const read = await ff.chrome<{ url: string; tabId: number | null; text: string } | { error: string }>(`(async () => {
    const { gDevTools } = (${LOADER})('devtools/client/framework/devtools');
    const toolbox = gDevTools.getToolboxForTab(${findTab(url)});
    const frame = toolbox?.doc.getElementById('toolbox-panel-iframe-' + ${JSON.stringify(toolId)});
    const inner = frame?.contentDocument?.querySelector('browser');
    if (!inner?.messageManager) return { error: 'the panel has no <browser> to read' };
    const name = 'sse-test:panel:' + Math.random().toString(36).slice(2);
    return await new Promise((resolve) => {
      const mm = inner.messageManager;
      const done = (value) => { mm.removeMessageListener(name, onMessage); clearTimeout(timer); resolve(value); };
      const onMessage = (m) => done(m.data);
      const timer = setTimeout(() => done({ error: 'the panel page did not answer the frame script' }), 5000);
      mm.addMessageListener(name, onMessage);
      mm.loadFrameScript('data:,' + encodeURIComponent('(() => {' +
        'const label = ' + JSON.stringify(${JSON.stringify(clickLabel ?? null)}) + ';' +
        'if (label) { const re = new RegExp(label, "i"); const el = [...content.document.querySelectorAll("button, [role=tab], a")].find((x) => re.test(x.textContent)); if (el) el.click(); }' +
        'let tabId = null; try { tabId = content.wrappedJSObject.browser.devtools.inspectedWindow.tabId; } catch (e) {}' +
        'sendAsyncMessage(' + JSON.stringify(name) + ', { url: content.location.href, tabId, text: content.document.body ? content.document.body.innerText : "" });' +
        '})()'
      ), false);
    });
  })()`);
  if ('error' in read) throw new Error(read.error);
  return { toolId, label: doc.label, url: read.url, inspectedTabId: typeof read.tabId === 'number' ? read.tabId : null, text: read.text };
}
