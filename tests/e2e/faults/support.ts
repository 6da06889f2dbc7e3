/** Helpers of the fault-injection e2e tests: runtime requests from an extension page, waiting for a page to hear of a fault. */
import type { BrowserContext, Page } from '@playwright/test';
import type { FaultSpec, SnapshotFault } from '../../../src/shared/protocol';

export type FaultInput = Partial<FaultSpec> & Pick<FaultSpec, 'kind' | 'tabId'>;

/** An extension page to send runtime requests from (the faults view, with the tab it controls). */
export async function extensionPage(context: BrowserContext, extensionId: string, tabId = 0): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/src/panel/faults/faults.html?tabId=${tabId}`);
  return page;
}

export async function request<T = unknown>(ext: Page, message: unknown): Promise<T> {
  return (await ext.evaluate((m) => chrome.runtime.sendMessage(m), message)) as T;
}

export async function addFault(ext: Page, fault: FaultInput): Promise<SnapshotFault> {
  const r = await request<{ ok: boolean; fault?: SnapshotFault; error?: string }>(ext, { kind: 'fault:add', fault });
  if (!r.ok || !r.fault) throw new Error(`fault:add failed: ${r.error ?? JSON.stringify(r)}`);
  return r.fault;
}

/**
 * Start recording, in the page, the fault ids the relay hands to the page
 * script (test instrumentation: it listens to the relay's events on document).
 */
export async function watchFaults(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __faultIds?: string[] };
    w.__faultIds = [];
    document.addEventListener('sse-connections:relay', (e) => {
      try {
        const config = JSON.parse((e as CustomEvent<string>).detail) as { faults?: { id: string }[] };
        w.__faultIds = (config.faults ?? []).map((f) => f.id);
      } catch {
        // not ours
      }
    });
  });
}

export async function pageHasFault(page: Page, id: string): Promise<boolean> {
  return page.evaluate((fid) => ((window as unknown as { __faultIds?: string[] }).__faultIds ?? []).includes(fid), id);
}
