import { test, expect } from './fixtures';
import { openPanelTab } from './panel/helpers';

type Store = { __sseConnections: { state: { log: unknown[]; logChars: number; channels: Map<string, { posted: number }> } } };

test.describe('flood', () => {
  test('1,000,000 events: the memory bound holds, drops are counted, the panel stays usable', async ({ context, server, snapshot, setSettings, tabIdOf, worker, extensionId }) => {
    test.setTimeout(300_000);
    // Every message logged: the log and the page queue take the whole flood.
    await setSettings({ messageLogRate: 0 });
    const page = await context.newPage();
    await page.goto(`${server.url}/flood.html`);
    const tabId = await tabIdOf(page);
    await page.evaluate(() => (window as unknown as { flood(n: number): Promise<number> }).flood(1_000_000));

    // Every event is accounted for: taken in, or dropped by the page queue and counted.
    await expect
      .poll(
        async () => {
          const s = (await snapshot()).stats;
          return s.accepted + s.droppedByPage;
        },
        { timeout: 240_000, intervals: [1000] },
      )
      .toBeGreaterThanOrEqual(1_000_000);
    const snap = await snapshot();
    const channel = snap.channels.find((c) => c.tabId === tabId && c.name === 'chat-flood')!;
    expect(channel.posted + snap.stats.droppedByPage).toBeGreaterThanOrEqual(1_000_000);
    test.info().annotations.push({ type: 'flood', description: `accepted ${snap.stats.accepted}, dropped by the page ${snap.stats.droppedByPage}, evicted ${snap.stats.evicted}` });

    // The log is bounded and evictions are counted.
    const { logLength } = await worker.evaluate(() => ({ logLength: (globalThis as unknown as Store).__sseConnections.state.log.length }));
    expect(logLength).toBeLessThanOrEqual(100_000);
    expect(snap.stats.evicted).toBeGreaterThanOrEqual(snap.stats.accepted - 100_000);

    // The panel opens on it, shows the counts and filters the log.
    const panel = await openPanelTab(context, extensionId, tabId);
    await panel.getByRole('tab', { name: /event log/i }).click();
    await expect(panel.getByTestId('log-count')).toContainText(/\d+ of \d+ events/, { timeout: 60_000 });
    await panel.getByTestId('filter-text').fill('999999');
    await expect(panel.getByTestId('log-count')).toContainText(/^1 of /, { timeout: 30_000 });
  });
});
