/**
 * examples/sse-connections.spec.ts, run as a user runs it (a Playwright
 * process of its own, `-c examples`) against the demo server: it passes for
 * the reference chat client, and fails for the naive page (one EventSource
 * per tab) with messages that say what the tabs were doing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js');

let demo: DemoServer;

test.beforeAll(async () => {
  // A limit of 2 and Retry-After 1 s keep the Retry-After test short.
  demo = await startDemoServer({ port: 0, limit: 2, retryAfterSec: 1 });
});
test.afterAll(async () => {
  await demo?.close();
});

interface SpecOutcome {
  title: string;
  status: string;
  errors: string[];
  /** Where Playwright places each error (the user's line, not the kit's). */
  locations: string[];
}

interface JsonSuite {
  specs?: { title: string; tests: { results: { status: string; errors: { message?: string; location?: { file: string; line: number } }[] }[] }[] }[];
  suites?: JsonSuite[];
}

function outcomes(suites: JsonSuite[]): SpecOutcome[] {
  const out: SpecOutcome[] = [];
  for (const s of suites) {
    for (const spec of s.specs ?? []) {
      const results = spec.tests.flatMap((t) => t.results);
      out.push({
        title: spec.title,
        status: results.map((r) => r.status).join(','),
        // without ANSI colours
        errors: results.flatMap((r) => r.errors.map((e) => (e.message ?? '').replace(/\u001b\[[0-9;]*m/g, ''))),
        locations: results.flatMap((r) => r.errors.map((e) => (e.location ? `${path.relative(ROOT, e.location.file)}:${e.location.line}` : '-'))),
      });
    }
    out.push(...outcomes(s.suites ?? []));
  }
  return out;
}

/** Runs the example in its own Playwright process; returns the exit code and each test's outcome. */
async function runExample(page: string, sseTimeoutMs?: number): Promise<{ code: number | null; output: string; specs: SpecOutcome[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sse-example-'));
  const report = path.join(dir, 'report.json');
  // The child must not inherit this test worker's Playwright state.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('TEST_') || k.startsWith('PW_')) continue;
    env[k] = v;
  }
  Object.assign(env, {
    APP_URL: demo.url,
    APP_PAGE: page,
    ...(sseTimeoutMs !== undefined ? { SSE_TIMEOUT: String(sseTimeoutMs) } : {}),
    PLAYWRIGHT_JSON_OUTPUT_FILE: report,
    FORCE_COLOR: '0',
  });
  const child = spawn(process.execPath, [CLI, 'test', '-c', 'examples', '--reporter=list,json', `--output=${path.join(dir, 'results')}`], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const json = JSON.parse(readFileSync(report, 'utf8')) as { suites: JsonSuite[] };
    return { code, output, specs: outcomes(json.suites) };
  } catch (err) {
    throw new Error(`the example run wrote no report (exit ${code}): ${String(err)}\n${output}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TITLES = {
  oneConnection: 'one SSE connection per project, however many tabs are open',
  failover: 'when the leader tab closes, another tab takes over the connection',
  retryAfter: 'after a 429 the app waits as long as Retry-After says',
};

test('the example passes for the reference chat client', async () => {
  test.setTimeout(240_000);
  const run = await runExample('/chat.html');
  expect(run.specs.map((s) => [s.title, s.status]), run.output).toEqual([
    [TITLES.oneConnection, 'passed'],
    [TITLES.failover, 'passed'],
    [TITLES.retryAfter, 'passed'],
  ]);
  expect(run.code).toBe(0);
});

test('the example fails for the naive page, and the messages say what the tabs did', async () => {
  test.setTimeout(240_000);
  // A naive page never gets there: fail after 4 s rather than the default 10.
  const run = await runExample('/naive.html?n=1', 4000);
  expect(run.code, run.output).toBe(1);
  const byTitle = new Map(run.specs.map((s) => [s.title, s]));
  for (const title of Object.values(TITLES)) expect(byTitle.get(title)?.status, run.output).toBe('failed');

  // Four tabs of one project: each opened its own EventSource (two admitted, two refused by the limit of 2).
  const one = byTitle.get(TITLES.oneConnection)?.errors.join('\n') ?? '';
  expect(one).toMatch(/expectSingleLeader\("chat-[a-z0-9]+", \{ followers: 3 \}\): no tab leads: 2 tabs hold their own connection without sharing it \(tab \d+, \d+\), and 2 more tabs were refused trying to open their own \(tab \d+, \d+\)\n/);
  expect(one).toContain('Hint: Each tab connects by itself. Let one tab hold the connection');
  expect(one).toMatch(/Project "chat-[a-z0-9]+" at [\d:.]+: 4 tabs, 0 leaders, 0 followers, 2 open connections, server limit 2\./);
  expect(one.match(/tab \d+ · "Naive: N raw EventSources" · http:\/\/127\.0\.0\.1:\d+\/naive\.html\?n=1&projectId=chat-/g)).toHaveLength(4);
  expect(one.match(/role: standalone \(inferred: holds its own connection and no BroadcastChannel\)/g)).toHaveLength(2);
  expect(one.match(/last 429\/503: 429 to GET [\d.]+ s ago \([\d:.]+\), Retry-After 1 s, 2 of 2 connections in use/g)).toHaveLength(2);

  // The code frame shows the example's own line.
  const source = readFileSync(path.join(ROOT, 'examples', 'sse-connections.spec.ts'), 'utf8').split('\n');
  const line = source.findIndex((l) => l.includes('await sse.expectSingleLeader(chat, { followers: 3 });')) + 1;
  expect(byTitle.get(TITLES.oneConnection)?.locations).toEqual([`examples/sse-connections.spec.ts:${line}`]);

  const failover = byTitle.get(TITLES.failover)?.errors.join('\n') ?? '';
  expect(failover).toMatch(/expectSingleLeader\("failover-[a-z0-9]+", \{ followers: 2 \}\): no tab leads/);

  // Refused once, the naive page's EventSource gives up for good.
  const retry = byTitle.get(TITLES.retryAfter)?.errors.join('\n') ?? '';
  expect(retry).toMatch(
    /expectRetryRespected\("limited-[a-z0-9]+"\): a refused tab has not tried again:\n {2}- tab \d+: 429 at [\d:.]+ said Retry-After 1 s; no new attempt in the [\d.]+ s since/,
  );
  expect(retry).toMatch(/eventsource closed, closed [\d.]+ s ago, opened [\d.]+ s ago, HTTP 429, 0 reconnects/);
});
