/**
 * Firefox resolves `devtools.panels.create`'s page path against the devtools
 * page (src/panel/devtools.html), Chrome against the extension root. A relative
 * 'src/panel/panel.html' therefore opens moz-extension://…/src/panel/src/panel/panel.html
 * (not found) in Firefox. An absolute path is right in both.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const create = vi.fn((_title: string, _icon: string, _page: string) => Promise.resolve({ onShown: { addListener: () => undefined }, onHidden: { addListener: () => undefined } }));
vi.mock('webextension-polyfill', () => ({ default: { devtools: { panels: { create } } } }));

describe('the devtools page registers the panel', () => {
  beforeEach(() => create.mockClear());

  it('as "SSE Connections", with a page path from the extension root (works in Chrome and Firefox)', async () => {
    await import('../../../src/panel/devtools');
    expect(create).toHaveBeenCalledTimes(1);
    const [title, , page] = create.mock.calls[0]!;
    expect(title).toBe('SSE Connections');
    expect(page, "Firefox resolves a relative path against src/panel/devtools.html: pass '/src/panel/panel.html' in src/panel/devtools.ts").toBe(
      '/src/panel/panel.html',
    );
  });
});
