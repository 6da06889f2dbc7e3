import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_EXTENSION_DIR, resolveChromium, resolveExtensionDir } from '../../../src/playwright/launch';

const files = (...present: string[]) => (p: string) => present.includes(p);

describe('resolveChromium', () => {
  it('an explicit path first, then CHROMIUM_PATH', () => {
    const exists = files('/opt/a', '/opt/b', '/pw/chrome', '/usr/bin/chromium');
    const deps = { env: { CHROMIUM_PATH: '/opt/b' }, exists, playwrightChromium: () => '/pw/chrome' };
    expect(resolveChromium('/opt/a', deps)).toBe('/opt/a');
    expect(resolveChromium(undefined, deps)).toBe('/opt/b');
  });

  it('then Playwright\'s own Chromium, then the system\'s', () => {
    expect(resolveChromium(undefined, { env: {}, exists: files('/pw/chrome', '/usr/bin/chromium'), playwrightChromium: () => '/pw/chrome' })).toBe('/pw/chrome');
    // Playwright names a path but did not download it
    expect(resolveChromium(undefined, { env: {}, exists: files('/usr/bin/chromium'), playwrightChromium: () => '/pw/chrome' })).toBe('/usr/bin/chromium');
    expect(resolveChromium(undefined, { env: {}, exists: files('/usr/bin/chromium-browser'), playwrightChromium: () => undefined })).toBe('/usr/bin/chromium-browser');
  });

  it('a CHROMIUM_PATH that does not exist is an error, not a silent fallback', () => {
    expect(() => resolveChromium(undefined, { env: { CHROMIUM_PATH: '/nope' }, exists: files('/usr/bin/chromium'), playwrightChromium: () => undefined })).toThrow(
      'SSE Connections: CHROMIUM_PATH points to /nope, which does not exist.',
    );
  });

  it('nothing found: names the install command and CHROMIUM_PATH', () => {
    const err = () => resolveChromium(undefined, { env: {}, exists: files(), playwrightChromium: () => undefined });
    expect(err).toThrow(/npx playwright install chromium/);
    expect(err).toThrow(/CHROMIUM_PATH/);
  });
});

describe('resolveExtensionDir', () => {
  it('defaults to the package\'s dist/, next to src/', () => {
    expect(BUNDLED_EXTENSION_DIR).toBe(path.resolve(__dirname, '../../../dist'));
    expect(resolveExtensionDir(undefined, { env: {}, exists: files(path.join(BUNDLED_EXTENSION_DIR, 'manifest.json')) })).toBe(BUNDLED_EXTENSION_DIR);
  });

  it('SSE_CONNECTIONS_DIST, or an explicit directory, wins', () => {
    const exists = files('/x/manifest.json', '/y/manifest.json');
    expect(resolveExtensionDir(undefined, { env: { SSE_CONNECTIONS_DIST: '/x' }, exists })).toBe('/x');
    expect(resolveExtensionDir('/y', { env: { SSE_CONNECTIONS_DIST: '/x' }, exists })).toBe('/y');
  });

  it('no manifest: says where it looked and what to do', () => {
    const err = () => resolveExtensionDir(undefined, { env: { SSE_CONNECTIONS_DIST: '/empty' }, exists: files() });
    expect(err).toThrow('SSE Connections: no built extension at /empty (from SSE_CONNECTIONS_DIST): there is no manifest.json.');
    expect(err).toThrow(/npm run build/);
  });
});
