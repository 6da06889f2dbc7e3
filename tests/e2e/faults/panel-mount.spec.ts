import { test, expect } from '../fixtures';
import { openPanelTab } from '../panel/helpers';

test('the Faults view is a tab of the panel: a refusal asked there shows in its list and in the snapshot, and clears in one click', async ({ context, server, extensionId, tabIdOf, snapshot }) => {
  const page = await context.newPage();
  await page.goto(`${server.url}/inline-es.html?projectId=mount&intervalMs=200`);
  const tabId = await tabIdOf(page);
  const panel = await openPanelTab(context, extensionId, tabId);
  await panel.getByRole('tab', { name: 'Faults' }).click();
  await expect(panel.getByTestId('view-faults')).toBeVisible();
  await panel.getByTestId('fault-kind').selectOption('refuse');
  await panel.getByTestId('fault-add').click();
  await expect(panel.getByTestId('fault-list').locator('li')).toHaveCount(1);
  await expect.poll(async () => (await snapshot()).faults?.map((f) => f.kind)).toEqual(['refuse']);
  await panel.getByTestId('fault-clear-all').click();
  await expect(panel.getByTestId('fault-list').locator('li')).toHaveCount(0);
  await expect.poll(async () => (await snapshot()).faults?.length ?? 0).toBe(0);
});
