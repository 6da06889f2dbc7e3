/**
 * What the built content scripts carry into every page and frame. They run
 * before the page's first script, so what they hold is paid by every page
 * (docs/benchmarks.md: page start). No browser is needed: this reads dist/,
 * which `npm run test:e2e` builds first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PageEventSchema } from '../../src/shared/protocol';
import { DIST } from './support/chromium';

interface ContentScript {
  js: string[];
  world?: string;
}

function contentScripts(): { main: string; relay: string } {
  const manifest = JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8')) as { content_scripts: ContentScript[] };
  const files = (world: 'MAIN' | 'ISOLATED') => manifest.content_scripts.filter((c) => (c.world ?? 'ISOLATED') === world).flatMap((c) => c.js);
  const [main, ...moreMain] = files('MAIN');
  const [relay, ...moreRelay] = files('ISOLATED');
  // One file per world: a second would be a second script to fetch and run in every frame.
  expect(moreMain).toEqual([]);
  expect(moreRelay).toEqual([]);
  expect(main).toBeDefined();
  expect(relay).toBeDefined();
  return { main: readFileSync(path.join(DIST, main as string), 'utf8'), relay: readFileSync(path.join(DIST, relay as string), 'utf8') };
}

test.describe('content script bundles', () => {
  test('the relay holds none of the page-event schemas (it forwards batches unparsed)', () => {
    const { relay } = contentScripts();
    const kinds = PageEventSchema.options.map((o) => o.entries.kind.literal);
    expect(kinds.length).toBeGreaterThan(20);
    // protocol.ts builds its kind -> schema map on first use; built when the
    // module loads, it kept every page-event schema in the relay, built at
    // the start of every frame (15.4 KB then, 12.3 KB without them).
    const quoted = (kind: string) => ['"', "'", '`'].some((q) => relay.includes(`${q}${kind}${q}`));
    expect(kinds.filter(quoted)).toEqual([]);
    expect(Buffer.byteLength(relay)).toBeLessThan(14 * 1024);
  });

  test('both content scripts are self-contained and neither carries the polyfill', () => {
    const { main, relay } = contentScripts();
    for (const code of [main, relay]) {
      // An IIFE: no import of a shared chunk (a content script cannot load one).
      expect(code).not.toMatch(/^\s*import[\s{]/m);
      // webextension-polyfill cost every frame several milliseconds before its first script.
      expect(code).not.toContain('webextension-polyfill');
      expect(code).not.toContain('browser-polyfill');
      expect(code).not.toContain('should only be loaded in a browser extension');
    }
    // The MAIN world has no extension API at all.
    expect(main).not.toMatch(/\bchrome\.runtime\b/);
    expect(Buffer.byteLength(main)).toBeLessThan(48 * 1024);
  });
});
