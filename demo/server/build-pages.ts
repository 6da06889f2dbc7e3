import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DIST_DIR, REPO_ROOT } from './paths.js';

const STAMP = join(DIST_DIR, '.built');
const SOURCES = ['src/client', 'demo/pages', 'vite.demo.config.ts'].map((p) => resolve(REPO_ROOT, p));

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)));
  return max;
}

/** True when demo/dist is missing or older than a source it is built from. */
export function pagesAreStale(): boolean {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

let pending: Promise<void> | undefined;

/** Builds the demo pages with Vite (vite.demo.config.ts) when they are missing or stale. */
export function ensurePagesBuilt(log: (...a: unknown[]) => void = () => undefined): Promise<void> {
  if (!pagesAreStale()) return Promise.resolve();
  pending ??= (async () => {
    log('building demo pages (vite.demo.config.ts) ...');
    const { build } = await import('vite');
    await build({ configFile: resolve(REPO_ROOT, 'vite.demo.config.ts'), logLevel: 'warn' });
    writeFileSync(STAMP, new Date().toISOString());
    log('demo pages built');
  })().finally(() => {
    pending = undefined;
  });
  return pending;
}
