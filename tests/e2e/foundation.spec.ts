import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures';
import { ROOT } from './support/chromium';

test.describe('foundation: page -> wrapper -> relay -> worker -> panel', () => {
  test('the snapshot lists an inline EventSource with the right tab id', async ({ context, server, snapshot, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/inline-es.html`);
    const tabId = await tabIdOf(page);
    await expect
      .poll(async () => (await snapshot()).connections.find((c) => c.tabId === tabId && c.url.includes('/sse/ticker'))?.messageCount ?? 0)
      .toBeGreaterThan(2);
    const snap = await snapshot();
    expect(snap.schemaVersion).toBe(1);
    const conn = snap.connections.find((c) => c.tabId === tabId)!;
    expect(conn).toMatchObject({ tabId, transport: 'eventsource', state: 'open', url: `${server.url}/sse/ticker?intervalMs=150` });
    expect(snap.tabs).toContainEqual(expect.objectContaining({ tabId, url: `${server.url}/inline-es.html`, title: 'Inline EventSource' }));
  });

  test.describe('in the real DevTools panel', () => {
    test.use({ devtools: true });

    test('shows the connection open with a growing message count, live', async ({ context, server, openPanel }) => {
      const page = await context.newPage();
      await page.goto(`${server.url}/inline-es.html`);
      const panel = await openPanel(page);
      const first = await panel.waitFor(() => {
        const row = document.querySelector('[data-testid=connections] tbody tr');
        const n = Number(row?.querySelector('[data-testid=messages]')?.textContent);
        return row?.getAttribute('data-state') === 'open' && n > 0 ? n : 0;
      });
      const later = await panel.waitFor(() => {
        const n = Number(document.querySelector('[data-testid=connections] [data-testid=messages]')?.textContent);
        return n > 0 ? n : 0;
      });
      await expect.poll(async () => Number(await panel.evaluate(() => document.querySelector('[data-testid=connections] [data-testid=messages]')?.textContent))).toBeGreaterThan(Math.max(first, later) + 2);
      expect(await panel.text()).toContain('/sse/ticker?intervalMs=150');

      await panel.setSize(1000, 420);
      await expect.poll(async () => Number(await panel.evaluate(() => document.querySelector('[data-testid=connections] [data-testid=messages]')?.textContent))).toBeGreaterThan(first + 5);
      const png = await panel.screenshot();
      // UPDATE_SCREENSHOTS=1 refreshes the README's picture; a plain run keeps the work tree clean.
      const dir = process.env.UPDATE_SCREENSHOTS ? path.join(ROOT, 'docs') : test.info().outputPath('screenshots');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'panel.png'), png);
      expect(png.length).toBeGreaterThan(1000);
    });
  });
});
