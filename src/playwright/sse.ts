/**
 * The `sse` object of the Playwright fixture: read the extension's snapshot
 * of a browser context, wait for leaders, and assert what an app's tabs do
 * with their SSE connections. Every failure says what each tab was doing.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, type BrowserContext, type Page, type Worker } from '@playwright/test';
import type { Snapshot, SnapshotAnomaly, SnapshotRateLimit } from '../shared/protocol.js';
import {
  checkRetryRespected,
  connectionsVerdict,
  leaderOf,
  leaderVerdict,
  retryVerdict,
  singleLeaderVerdict,
  type LeaderInfo,
  type RetryOptions,
  type RetryReport,
  type RetryVerdictOptions,
  type SingleLeaderOptions,
  type Verdict,
} from './checks.js';
import { describeProject, formatDuration } from './describe.js';
import { pollUntil } from './poll.js';
import { callerFrames, frameLocation } from './stack.js';

export interface WaitOptions {
  /** How long to wait (ms); default: the `timeout` given to `createSse` (10 s). */
  timeout?: number;
}

export interface StableWaitOptions extends WaitOptions {
  /**
   * How long the condition must hold without a break before it counts (ms,
   * default 500): a tab that opens its connection a moment later must not
   * slip through.
   */
  stableMs?: number;
}

export interface SseOptions {
  /** Default wait of every helper (ms, default 10 000). */
  timeout?: number;
  /** Pause between two snapshots while waiting (ms, default 100). */
  pollIntervalMs?: number;
  /** The extension's id; found from its service worker when omitted. */
  extensionId?: string;
}

/** Thrown by the `expect…` and `waitFor…` helpers; carries the last snapshot. */
export class SseExpectationError extends Error {
  override name = 'SseExpectationError';
  constructor(
    message: string,
    readonly snapshot: Snapshot,
  ) {
    super(message);
  }
}

export interface Sse {
  /** The extension's snapshot of the whole browser (docs/snapshot-format.md). */
  snapshot(): Promise<Snapshot>;
  /** Forget everything captured so far (closed connections, refusals, the log). */
  clear(): Promise<void>;
  /** Waits until exactly one tab leads the project; returns it. */
  waitForLeader(projectKey: string, opts?: WaitOptions): Promise<LeaderInfo>;
  /** Exactly one leader, no other tab with an open connection, no split brain: held for `stableMs`. */
  expectSingleLeader(projectKey: string, opts?: StableWaitOptions & SingleLeaderOptions): Promise<LeaderInfo>;
  /** Exactly `n` open SSE connections for the project across all tabs: held for `stableMs`. */
  expectConnections(projectKey: string, n: number, opts?: StableWaitOptions): Promise<void>;
  /** The 429/503 (and Retry-After) responses of the project so far, oldest first. */
  rateLimits(projectKey: string): Promise<SnapshotRateLimit[]>;
  /** Waits until a request of the project is refused (status 429 or 503 by default); returns the newest refusal. */
  waitForRateLimit(projectKey: string, opts?: WaitOptions & { status?: number[] }): Promise<SnapshotRateLimit>;
  /**
   * No tab tried again sooner than the Retry-After it was given. Waits (up to
   * the timeout) for a refusal with a Retry-After, then until each refused
   * tab has tried again or its Retry-After has run out (with `requireRetry`:
   * until it has tried again); fails at once on a violation.
   */
  expectRetryRespected(projectKey: string, opts?: WaitOptions & RetryOptions & RetryVerdictOptions): Promise<RetryReport>;
  /** The anomalies the extension reports (of one project, or all). */
  anomalies(projectKey?: string): Promise<SnapshotAnomaly[]>;
  /** Waits `stableMs` and fails if the project has any anomaly (split brain, stranded followers, over limit, retry storm). */
  expectNoAnomalies(projectKey: string, opts?: { stableMs?: number }): Promise<void>;
  /** The Playwright page of a tab id of the snapshot. */
  pageOf(tabId: number): Promise<Page>;
  /** The tab id the extension uses for a page. */
  tabIdOf(page: Page): Promise<number>;
  /** A human-readable account of a project's tabs (what the failure messages show). */
  describe(projectKey: string): Promise<string>;
}

/** This module's directory, as a path and as a URL (stack frames use either). */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const HERE_URL = pathToFileURL(HERE).href;

/**
 * Runs a helper as a test step when inside a test. A failure's stack is cut
 * to the caller's frames, so that Playwright shows the user's line (not this
 * module's) in its code frame; the step is located there too.
 */
async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
  const frames = callerFrames(new Error().stack, HERE, HERE_URL);
  let inTest = true;
  try {
    test.info();
  } catch {
    inTest = false;
  }
  try {
    if (!inTest) return await body();
    const location = frames.map(frameLocation).find((l) => l !== undefined && !l.file.startsWith('node:'));
    return await test.step(title, body, location ? { location } : {});
  } catch (err) {
    if (err instanceof SseExpectationError && frames.length > 0) err.stack = `${err.name}: ${err.message}\n${frames.join('\n')}`;
    throw err;
  }
}

async function attachSnapshot(snapshot: Snapshot): Promise<void> {
  try {
    await test.info().attach('sse-connections-snapshot.json', { body: JSON.stringify(snapshot, null, 2), contentType: 'application/json' });
  } catch {
    // Not inside a test: the error carries the snapshot anyway.
  }
}

function isExtensionWorker(w: Worker): boolean {
  return w.url().startsWith('chrome-extension://');
}

/**
 * The `sse` helpers for a browser context that has the SSE Connections
 * extension loaded (see `launchWithExtension`). Reading a snapshot opens one
 * extension page in the context (the extension answers only its own pages);
 * it stays open and is not a tab the extension watches.
 */
export function createSse(context: BrowserContext, options: SseOptions = {}): Sse {
  const defaultTimeout = options.timeout ?? 10_000;
  const interval = options.pollIntervalMs ?? 100;
  let extensionId = options.extensionId;
  let extPage: Page | null = null;

  let opening: Promise<Page> | null = null;

  const openExtPage = async (): Promise<Page> => {
    if (!extensionId) {
      const worker = context.serviceWorkers().find(isExtensionWorker) ?? (await context.waitForEvent('serviceworker', { predicate: isExtensionWorker, timeout: 15_000 }));
      extensionId = new URL(worker.url()).host;
    }
    const page = await context.newPage();
    // The manifest is the lightest document of the extension's origin: no
    // script of its own, but chrome.runtime is there.
    await page.goto(`chrome-extension://${extensionId}/manifest.json`);
    return page;
  };

  /** One extension page, opened on first use (calls made at once share it), again if it was closed. */
  const ensureExtPage = async (): Promise<Page> => {
    if (extPage && !extPage.isClosed()) return extPage;
    opening ??= openExtPage().finally(() => {
      opening = null;
    });
    extPage = await opening;
    return extPage;
  };

  const snapshot = async (): Promise<Snapshot> => {
    const page = await ensureExtPage();
    const answer: unknown = await page.evaluate(() => chrome.runtime.sendMessage({ kind: 'snapshot:get' }));
    if (typeof answer !== 'object' || answer === null || (answer as { schemaVersion?: unknown }).schemaVersion !== 1) {
      throw new Error(`SSE Connections: unexpected answer to snapshot:get: ${JSON.stringify(answer).slice(0, 300)}`);
    }
    return answer as Snapshot;
  };

  const fail = async (call: string, projectKey: string, verdict: Verdict, s: Snapshot, waited: string): Promise<never> => {
    await attachSnapshot(s);
    const lines = [`${call}: ${verdict.summary}`, waited];
    if (verdict.hint) lines.push(`Hint: ${verdict.hint}`);
    lines.push('', describeProject(s, projectKey));
    throw new SseExpectationError(lines.join('\n'), s);
  };

  /** Poll snapshots with a verdict; throw a described failure, or return the last snapshot. */
  const waitVerdict = async (
    call: string,
    projectKey: string,
    verdictOf: (s: Snapshot) => Verdict & { final?: boolean },
    timeout: number,
    stableMs: number,
  ): Promise<Snapshot> => {
    const r = await pollUntil(
      async () => {
        const s = await snapshot();
        const v = verdictOf(s);
        return { ok: v.ok, final: v.final ?? false, value: { s, v } };
      },
      { timeout, stableMs, intervalMs: interval },
    );
    if (r.ok) return r.value.s;
    const waited =
      r.reason === 'final'
        ? `(seen after ${formatDuration(r.elapsedMs)})`
        : `(waited ${formatDuration(r.elapsedMs)}${stableMs > 0 ? `; the condition must hold for ${formatDuration(stableMs)}` : ''})`;
    return fail(call, projectKey, r.value.v, r.value.s, waited);
  };

  const tabsApi = async <T>(fn: (arg: { tabId?: number; title?: string }) => Promise<T>, arg: { tabId?: number; title?: string }): Promise<T> => {
    const page = await ensureExtPage();
    return page.evaluate(fn, arg);
  };

  /** Mark pages with unique titles and see which one the browser shows for a tab. */
  const identify = async (pages: Page[], matches: (titles: Map<string, Page>) => Promise<Page | null>): Promise<Page | null> => {
    const titles = new Map<string, Page>();
    const originals = new Map<Page, string>();
    try {
      for (const [i, p] of pages.entries()) {
        const token = `sse-connections-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}`;
        originals.set(p, await p.evaluate((t) => {
          const before = document.title;
          document.title = t;
          return before;
        }, token));
        titles.set(token, p);
      }
      const r = await pollUntil(async () => {
        const found = await matches(titles);
        return { ok: found !== null, value: found };
      }, { timeout: 2000, intervalMs: 25 });
      return r.value;
    } finally {
      for (const [p, title] of originals) {
        await p.evaluate((t) => {
          document.title = t;
        }, title).catch(() => undefined);
      }
    }
  };

  const sse: Sse = {
    snapshot,

    async clear() {
      const page = await ensureExtPage();
      await page.evaluate(() => chrome.runtime.sendMessage({ kind: 'capture:clear' }));
    },

    waitForLeader(projectKey, opts = {}) {
      const call = `waitForLeader("${projectKey}")`;
      return step(call, async () => {
        const s = await waitVerdict(call, projectKey, (x) => leaderVerdict(x, projectKey), opts.timeout ?? defaultTimeout, 0);
        return leaderOf(s, projectKey) as LeaderInfo;
      });
    },

    expectSingleLeader(projectKey, opts = {}) {
      const call = `expectSingleLeader("${projectKey}"${opts.followers !== undefined ? `, { followers: ${opts.followers} }` : ''})`;
      return step(call, async () => {
        const s = await waitVerdict(
          call,
          projectKey,
          (x) => singleLeaderVerdict(x, projectKey, opts.followers !== undefined ? { followers: opts.followers } : {}),
          opts.timeout ?? defaultTimeout,
          opts.stableMs ?? 500,
        );
        return leaderOf(s, projectKey) as LeaderInfo;
      });
    },

    expectConnections(projectKey, n, opts = {}) {
      const call = `expectConnections("${projectKey}", ${n})`;
      return step(call, async () => {
        await waitVerdict(call, projectKey, (x) => connectionsVerdict(x, projectKey, n), opts.timeout ?? defaultTimeout, opts.stableMs ?? 500);
      });
    },

    async rateLimits(projectKey) {
      return (await snapshot()).rateLimits.filter((r) => r.projectKey === projectKey);
    },

    waitForRateLimit(projectKey, opts = {}) {
      const statuses = opts.status ?? [429, 503];
      const call = `waitForRateLimit("${projectKey}")`;
      return step(call, async () => {
        const pick = (s: Snapshot): SnapshotRateLimit | undefined =>
          s.rateLimits.filter((r) => r.projectKey === projectKey && statuses.includes(r.status)).at(-1);
        const s = await waitVerdict(
          call,
          projectKey,
          (x) => (pick(x) ? { ok: true, summary: 'refused' } : { ok: false, summary: `no response with status ${statuses.join(' or ')} for project "${projectKey}"` }),
          opts.timeout ?? defaultTimeout,
          0,
        );
        return pick(s) as SnapshotRateLimit;
      });
    },

    expectRetryRespected(projectKey, opts = {}) {
      const call = `expectRetryRespected("${projectKey}")`;
      const check = { ...(opts.toleranceMs !== undefined ? { toleranceMs: opts.toleranceMs } : {}) };
      const verdictOpts: RetryVerdictOptions = {
        ...check,
        ...(opts.requireRefusal !== undefined ? { requireRefusal: opts.requireRefusal } : {}),
        ...(opts.requireRetry !== undefined ? { requireRetry: opts.requireRetry } : {}),
      };
      return step(call, async () => {
        const s = await waitVerdict(
          call,
          projectKey,
          (x) => retryVerdict(checkRetryRespected(x, projectKey, check), projectKey, verdictOpts),
          opts.timeout ?? defaultTimeout,
          0,
        );
        return checkRetryRespected(s, projectKey, check);
      });
    },

    async anomalies(projectKey) {
      const s = await snapshot();
      return projectKey === undefined ? s.anomalies : s.anomalies.filter((a) => a.projectKey === projectKey);
    },

    expectNoAnomalies(projectKey, opts = {}) {
      const call = `expectNoAnomalies("${projectKey}")`;
      return step(call, async () => {
        const stableMs = opts.stableMs ?? 500;
        await waitVerdict(
          call,
          projectKey,
          (x) => {
            const found = x.anomalies.filter((a) => a.projectKey === projectKey);
            return found.length === 0
              ? { ok: true, summary: 'no anomalies' }
              : { ok: false, final: true, summary: `the extension reports ${found.map((a) => a.kind).join(', ')}: ${found.map((a) => a.message).join(' ')}` };
          },
          stableMs,
          stableMs,
        );
      });
    },

    async pageOf(tabId) {
      const tab = await tabsApi(async ({ tabId: id }) => {
        try {
          const t = await chrome.tabs.get(id ?? -1);
          return { url: t.url ?? '' };
        } catch {
          return null;
        }
      }, { tabId });
      if (!tab) throw new Error(`SSE Connections: there is no tab ${tabId} (closed?)`);
      const candidates = context.pages().filter((p) => p !== extPage && !p.isClosed() && p.url() === tab.url);
      if (candidates.length === 1) return candidates[0] as Page;
      const found =
        candidates.length === 0
          ? null
          : await identify(candidates, async (titles) => {
              const title = await tabsApi(async ({ tabId: id }) => (await chrome.tabs.get(id ?? -1)).title ?? '', { tabId });
              return titles.get(title) ?? null;
            });
      if (!found) throw new Error(`SSE Connections: no page of this browser context shows tab ${tabId} (${tab.url}).`);
      return found;
    },

    async tabIdOf(page) {
      let tabId: number | null = null;
      await identify([page], async (titles) => {
        for (const title of titles.keys()) {
          const ids = await tabsApi(async ({ title: t }) => (await chrome.tabs.query({ title: t ?? '' })).map((x) => x.id ?? -1), { title });
          if (ids.length === 1 && typeof ids[0] === 'number' && ids[0] >= 0) {
            tabId = ids[0];
            return page;
          }
        }
        return null;
      });
      if (tabId === null) throw new Error(`SSE Connections: cannot tell the tab id of ${page.url()}.`);
      return tabId;
    },

    async describe(projectKey) {
      return describeProject(await snapshot(), projectKey);
    },
  };
  return sse;
}
