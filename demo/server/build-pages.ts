import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    // Build beside demo/dist and swap it in, so that another process serving or building
    // the pages at the same time never sees a half-written directory.
    const tmp = `${DIST_DIR}.tmp-${process.pid}-${Date.now()}`;
    try {
      await build({ configFile: resolve(REPO_ROOT, 'vite.demo.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
      writeFileSync(join(tmp, '.built'), new Date().toISOString());
      rmSync(DIST_DIR, { recursive: true, force: true });
      try {
        renameSync(tmp, DIST_DIR);
      } catch {
        // another process swapped its build in first: theirs is as good as ours
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    log('demo pages built');
  })().finally(() => {
    pending = undefined;
  });
  return pending;
}
