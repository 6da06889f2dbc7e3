import { describe, expect, it } from 'vitest';
import { relayApi } from '../../../src/content/extension-api';

const api = (name: string) => ({ runtime: { id: name, connect: () => ({}) }, storage: { sync: { get: async () => ({}) } } });

describe('relayApi', () => {
  it('takes `browser` (Firefox) before `chrome` (Chromium), and `chrome` alone', () => {
    const browser = api('b');
    const chrome = api('c');
    expect(relayApi({ browser, chrome })).toBe(browser);
    expect(relayApi({ chrome })).toBe(chrome);
  });

  it('skips a namespace without runtime.connect (a page-like `chrome` object), and gives null outside an extension', () => {
    const chrome = api('c');
    expect(relayApi({ browser: { runtime: {} }, chrome })).toBe(chrome);
    expect(relayApi({ chrome: { app: {}, csi: () => 0 } })).toBeNull();
    expect(relayApi({ browser: 'x', chrome: null })).toBeNull();
    expect(relayApi({})).toBeNull();
  });
});
