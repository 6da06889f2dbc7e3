/**
 * The kit as an installed package: compiled with src/playwright/tsconfig.json
 * into node_modules/sse-connections of a throwaway CommonJS project, reached
 * through the `exports` entry the package is meant to have, and used by a
 * spec of that project in its own Playwright process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What package.json should say (see docs/playwright.md). */
const PACKAGE_JSON = {
  name: 'sse-connections',
  version: '0.0.0-test',
  type: 'module',
  exports: {
    './playwright': {
      types: './dist-playwright/playwright/index.d.ts',
      default: './dist-playwright/playwright/index.js',
    },
  },
  peerDependencies: { '@playwright/test': '>=1.48.0' },
};

const CONSUMER_SPEC = `
import { test, expect } from 'sse-connections/playwright';

test('reference chat: one leader, one connection', async ({ context, page, sse }) => {
  await page.goto(process.env.APP_URL + '/chat.html?projectId=installed-chat');
  await (await context.newPage()).goto(process.env.APP_URL + '/chat.html?projectId=installed-chat');
  const leader = await sse.expectSingleLeader('installed-chat', { followers: 1 });
  expect(leader.tabId).toBeGreaterThan(0);
  await sse.expectConnections('installed-chat', 1);
});

test('naive page: two connections', async ({ context, page, sse }) => {
  await page.goto(process.env.APP_URL + '/naive.html?n=1&projectId=installed-naive');
  await (await context.newPage()).goto(process.env.APP_URL + '/naive.html?n=1&projectId=installed-naive');
  await sse.expectConnections('installed-naive', 1, { timeout: 3000 });
});
`;

let demo: DemoServer;
let dir: string;

test.beforeAll(async () => {
  demo = await startDemoServer({ port: 0, limit: 5, retryAfterSec: 1 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'sse-consumer-'));
});
test.afterAll(async () => {
  await demo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a CommonJS project imports the compiled kit from node_modules and gets per-tab failures at its own lines', async () => {
  test.setTimeout(180_000);
  const pkg = path.join(dir, 'node_modules', 'sse-connections');
  mkdirSync(path.join(dir, 'node_modules', '@playwright'), { recursive: true });
  mkdirSync(path.join(dir, 'tests'));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'src/playwright/tsconfig.json', '--outDir', path.join(pkg, 'dist-playwright')], {
    cwd: ROOT,
  });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify(PACKAGE_JSON, null, 2));
  // The built extension ships in the package as dist/.
  symlinkSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'));
  for (const m of ['@playwright/test', 'playwright', 'playwright-core']) symlinkSync(path.join(ROOT, 'node_modules', m), path.join(dir, 'node_modules', m));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  writeFileSync(path.join(dir, 'playwright.config.ts'), "import { defineConfig } from '@playwright/test';\nexport default defineConfig({ testDir: 'tests', workers: 1 });\n");
  writeFileSync(path.join(dir, 'tests', 'app.spec.ts'), CONSUMER_SPEC);

  const report = path.join(dir, 'report.json');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('TEST_') || k.startsWith('PW_') || k === 'SSE_CONNECTIONS_DIST') continue;
    env[k] = v;
  }
  Object.assign(env, { APP_URL: demo.url, PLAYWRIGHT_JSON_OUTPUT_FILE: report, FORCE_COLOR: '0' });
  const child = spawn(process.execPath, [path.join(dir, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--reporter=list,json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  interface Result {
    status: string;
    errors: { message?: string; location?: { file: string; line: number } }[];
  }
  interface Suite {
    specs?: { title: string; tests: { results: Result[] }[] }[];
    suites?: Suite[];
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as { suites: Suite[] };
  const specs = new Map<string, Result>();
  const walk = (s: Suite): void => {
    for (const spec of s.specs ?? []) {
      const r = spec.tests[0]?.results[0];
      if (r) specs.set(spec.title, r);
    }
    for (const c of s.suites ?? []) walk(c);
  };
  json.suites.forEach(walk);

  expect(code, output).toBe(1);
  expect(specs.get('reference chat: one leader, one connection')?.status, output).toBe('passed');
  const naive = specs.get('naive page: two connections');
  expect(naive?.status, output).toBe('failed');
  const error = naive?.errors[0];
  expect(error?.message).toMatch(/expectConnections\("installed-naive", 1\): expected 1 open connection, found 2 \(tab \d+: 1, tab \d+: 1\)/);
  expect(error?.message).toMatch(/role: standalone \(inferred: holds its own connection and no BroadcastChannel\)/);
  // The code frame is the consumer's line, not the package's.
  const line = CONSUMER_SPEC.split('\n').findIndex((l) => l.includes("expectConnections('installed-naive'")) + 1;
  expect(error?.location && { file: path.basename(error.location.file), line: error.location.line }).toEqual({ file: 'app.spec.ts', line });
});
