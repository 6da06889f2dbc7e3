import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = resolve(REPO_ROOT, 'demo', 'dist');
export const PUBLIC_DIR = resolve(REPO_ROOT, 'demo', 'public');
