/**
 * The BroadcastChannel-only fallback (no Web Locks): heartbeat, takeover without a herd, and
 * resolution of duplicate leaders (pitfall 1 on the fallback path).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BroadcastElection } from '../../../src/client/election/broadcast-election.js';
import { ChannelHub } from './fakes/channels.js';
import { FakeEventSource } from './fakes/event-source.js';
import { World } from './fakes/tabs.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function electionsOn(hub: ChannelHub, ids: string[], random: () => number) {
  const state = new Map<string, string[]>();
  const elections = ids.map((id) => {
    const Ch = hub.ctorFor(id);
    const log: string[] = [];
    state.set(id, log);
    const e = new BroadcastElection(
      new Ch('sse-p1'),
      id,
      { onElected: () => log.push('elected'), onDeposed: (r) => log.push(`deposed:${r}`), onFollower: () => log.push('follower') },
      { heartbeatMs: 1000, leaderTimeoutMs: 5000, claimWindowMs: 300, claimJitterMs: 1000, random },
    );
    return { id, e, log };
  });
  return elections;
}

describe('BroadcastChannel fallback election', () => {
  it('tabs starting together end with one leader, and the others follow it', async () => {
    const hub = new ChannelHub();
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const els = electionsOn(hub, ['a', 'b', 'c', 'd', 'e'], random);
    for (const x of els) x.e.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(els.filter((x) => x.e.isLeader)).toHaveLength(1);
  });

  it('pitfall 1: two leaders (claims that crossed, a healed partition) are reduced to one', async () => {
    const hub = new ChannelHub();
    const els = electionsOn(hub, ['a', 'b'], () => 0);
    // partition: each tab alone long enough to elect itself
    hub.freeze('b');
    els[0]!.e.start();
    await vi.advanceTimersByTimeAsync(2000);
    hub.thaw('b');
    hub.freeze('a');
    els[1]!.e.start();
    await vi.advanceTimersByTimeAsync(2000);
    hub.thaw('a');
    expect(els.every((x) => x.e.isLeader)).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    const leaders = els.filter((x) => x.e.isLeader);
    expect(leaders.map((x) => x.id)).toEqual(['a']); // a has led longer
    expect(els[1]!.log).toContain('deposed:duplicate leader');
  });

  it('when the leader vanishes, one follower takes over (random delay + cancel on heartbeat)', async () => {
    const hub = new ChannelHub();
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const els = electionsOn(hub, ['a', 'b', 'c', 'd'], random);
    els[0]!.e.start();
    await vi.advanceTimersByTimeAsync(2000);
    for (const x of els.slice(1)) x.e.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(els.filter((x) => x.e.isLeader).map((x) => x.id)).toEqual(['a']);
    hub.closeTab('a'); // gone without a bye
    els[0]!.e.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    const elected = els.slice(1).filter((x) => x.log.includes('elected'));
    expect(elected).toHaveLength(1);
  });

  it('the connection manager uses the fallback when Web Locks are missing: one stream for three tabs', async () => {
    const w = new World();
    const tabs = ['a', 'b', 'c'].map((id) => w.open(id, {}, false));
    for (const t of tabs) void t.conn.connect();
    await vi.advanceTimersByTimeAsync(3000);
    expect(w.leaders()).toHaveLength(1);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(tabs.every((t) => t.conn.getConnectionInfo().election === 'broadcast')).toBe(true);
    w.openLeaderStream().message('{"text":"x"}', '1');
    await vi.advanceTimersByTimeAsync(10);
    expect(tabs.every((t) => t.received.length === 1)).toBe(true);
  });
});
