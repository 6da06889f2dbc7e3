import { describe, expect, it } from 'vitest';
import { describeProject, explainRole, formatDuration } from '../../../src/playwright/describe';
import { T0, naivePage, referenceClient, refusedThenRetried, snapshotOf } from './scenarios';

describe('describeProject', () => {
  it('tells per tab: page, role and why, connections, channels and locks, last refusal', () => {
    const text = describeProject(snapshotOf(referenceClient('p', 2)), 'p');
    expect(text.split('\n')).toEqual([
      'Project "p" at 22:13:21.000: 2 tabs, 1 leader (tab 1), 1 follower, 1 open connection, server limit not announced.',
      '  tab 1 · "Chat" · http://app.test/chat.html?projectId=p',
      "    role: leader (holds the project's Web Lock)",
      '    connections: 1 open, 0 connecting, 0 closed',
      '      - 1.doc-1.3 eventsource open, opened 1 s ago, 0 reconnects, 0 messages · http://app.test/api/persistent-chat/stream?projectId=p',
      '    channels and locks: BroadcastChannel "chat-p" (posted 0, received 0); Web Lock "sse-p" held (exclusive)',
      '    last 429/503: none',
      '  tab 2 · "Chat" · http://app.test/chat.html?projectId=p',
      "    role: follower (waits for the project's Web Lock)",
      '    connections: none',
      '    channels and locks: BroadcastChannel "chat-p" (posted 0, received 0); Web Lock "sse-p" queued (exclusive)',
      '    last 429/503: none',
      'Anomalies: none',
    ]);
  });

  it('the naive page: every tab standalone with its own open connection', () => {
    const text = describeProject(snapshotOf(naivePage('p', 3)), 'p');
    expect(text).toContain('3 tabs, 0 leaders, 0 followers, 3 open connections');
    expect(text.match(/role: standalone \(inferred: holds its own connection and no BroadcastChannel\)/g)).toHaveLength(3);
    expect(text).toContain('"Naive: N raw EventSources" · http://app.test/naive.html?projectId=p&n=1');
  });

  it('refusals with their Retry-After, and the anomalies with the extension\'s explanation', () => {
    const text = describeProject(snapshotOf(refusedThenRetried('p', 2000, T0 + 600), T0 + 1000), 'p');
    expect(text).toContain('last 429/503: 429 to HEAD 0.9 s ago (22:13:20.150), Retry-After 2 s, 1 of 1 connections in use (2 in all)');
    expect(text).toContain('1.doc-1.1 eventsource closed, closed 0.9 s ago, opened 1 s ago, HTTP 429');
    expect(text).toContain('Anomalies:\n  - retry-storm (tabs 1): 1 reconnect came sooner than the server\'s Retry-After allowed');
  });

  it('an unknown project lists the projects and pages that were seen', () => {
    const text = describeProject(snapshotOf(referenceClient('p', 1)), 'nope');
    expect(text).toContain('No tab has used project "nope". Projects seen: "p".');
    expect(text).toContain('  tab 1 · "Chat" · http://app.test/chat.html?projectId=p');
  });
});

describe('small formatters', () => {
  it('durations', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('roles', () => {
    expect(explainRole(undefined)).toMatch(/^none/);
    expect(explainRole({ tabId: 1, role: 'leader', source: 'declared' })).toBe('leader (declared by the app through the page hook)');
    expect(explainRole({ tabId: 1, role: 'follower', source: 'inferred' })).toBe('follower (inferred: has a BroadcastChannel and no connection)');
    expect(explainRole({ tabId: 1, role: 'unknown', source: 'inferred' })).toBe('unknown (nothing shows its role yet)');
  });
});
