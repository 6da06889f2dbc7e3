import { test, expect } from './fixtures';

test.describe('hostile pages', () => {
  test('forged and malformed page events are dropped and counted; other tabs and earlier records are untouched', async ({ context, server, snapshot, tabIdOf }) => {
    test.setTimeout(120_000);
    const victim = await context.newPage();
    await victim.goto(`${server.url}/inline-es.html?projectId=victim&intervalMs=100`);
    const victimId = await tabIdOf(victim);
    const victimCount = async () => (await snapshot()).connections.find((c) => c.tabId === victimId)?.messageCount ?? 0;
    await expect.poll(victimCount).toBeGreaterThan(3);
    const before = await snapshot();

    const hostile = await context.newPage();
    const dialogs: string[] = [];
    hostile.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await hostile.goto(`${server.url}/forge.html?victim=${victimId}`);
    const hostileId = await tabIdOf(hostile);
    await hostile.evaluate(() => (window as unknown as { forgeMalformed(): boolean }).forgeMalformed());
    await expect.poll(async () => (await snapshot()).stats.invalid, { timeout: 20_000 }).toBeGreaterThan(before.stats.invalid + 40);

    // 100,000 forged messages, as fast as the page can send them.
    const floodMs = await hostile.evaluate(() => (window as unknown as { flood(n: number): Promise<number> }).flood(100_000));
    test.info().annotations.push({ type: 'flood', description: `100,000 forged events sent in ${Math.round(floodMs)} ms` });

    // The worker still answers, and the victim's stream is still counted.
    const afterCount = await victimCount();
    await expect.poll(victimCount, { timeout: 20_000 }).toBeGreaterThan(afterCount + 3);
    const after = await snapshot();

    // Nothing recorded earlier was lost; the victim's records are the victim's.
    const victimBefore = before.connections.find((c) => c.tabId === victimId)!;
    const victimAfter = after.connections.find((c) => c.id === victimBefore.id)!;
    expect(victimAfter.messageCount).toBeGreaterThanOrEqual(victimBefore.messageCount);
    expect(victimAfter.url).toBe(victimBefore.url);
    expect(after.connections.filter((c) => c.tabId === victimId)).toHaveLength(1);
    // A forged role lands on the forging tab only, whatever tab id it names.
    const victimProject = after.projects.find((p) => p.projectKey === 'victim')!;
    expect(victimProject.roles.find((r) => r.tabId === victimId)?.source).not.toBe('declared');
    expect(victimProject.roles.find((r) => r.tabId === hostileId)).toEqual({ tabId: hostileId, role: 'leader', source: 'declared' });
    // Drops and invalid input are counted, visibly.
    expect(after.stats.invalid).toBeGreaterThan(before.stats.invalid + 40);
    const accepted = after.stats.accepted - before.stats.accepted;
    const dropped = after.stats.droppedByPage - before.stats.droppedByPage;
    test.info().annotations.push({ type: 'counts', description: `accepted ${accepted}, dropped ${dropped}, invalid ${after.stats.invalid - before.stats.invalid}` });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(dialogs).toEqual([]);
  });
});
