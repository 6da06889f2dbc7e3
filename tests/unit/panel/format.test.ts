import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTime, oneLine, prettyData, retryCountdown } from '../../../src/panel/model/format';
import { addBody, bodyFor, cutBody, MAX_BODIES, MAX_BODY_CHARS } from '../../../src/panel/model/bodies';
import { nextIndex } from '../../../src/panel/model/keyboard';
import { fieldsOf, patchOf, readSetAnswer } from '../../../src/panel/model/settings-form';
import { kindsOf } from '../../../src/panel/model/kinds';
import { DEFAULT_SETTINGS, type SnapshotRateLimit } from '../../../src/shared/protocol';
import { T0 } from './fixtures';

describe('formatting', () => {
  it('formats durations and sizes the DevTools way', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4250)).toBe('4.2 s');
    expect(formatDuration(187_000)).toBe('3 m 07 s');
    expect(formatDuration(7_500_000)).toBe('2 h 05 m');
    expect(formatDuration(-1)).toBe('');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 kB');
    expect(formatTime(new Date(2024, 0, 1, 9, 5, 7, 42).getTime())).toBe('09:05:07.042');
  });

  it('counts down to when a retry is allowed', () => {
    expect(retryCountdown(T0, 10_000, T0 + 2_500)).toEqual({ text: 'retry allowed in 8 s', waiting: true });
    expect(retryCountdown(T0, 10_000, T0 + 10_000).waiting).toBe(false);
    expect(retryCountdown(T0, 10_000, T0 + 10_000).text).toMatch(/^retry allowed since \d\d:\d\d:\d\d\.\d{3}$/);
    expect(retryCountdown(T0, null, T0).text).toBe('no Retry-After');
  });

  it('pretty-prints JSON data, leaves the rest (and cut previews) as they are', () => {
    expect(prettyData('{"a":1,"b":[2]}')).toEqual({ text: '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}', json: true, truncated: false });
    expect(prettyData('<img src=x onerror=alert(1)>')).toEqual({ text: '<img src=x onerror=alert(1)>', json: false, truncated: false });
    expect(prettyData('{"a":', 100)).toEqual({ text: '{"a":', json: false, truncated: true });
    expect(prettyData('{not json}').json).toBe(false);
  });

  it('shows one line per cell, control characters as spaces', () => {
    expect(oneLine('a\nb\u0000c')).toBe('a b c');
    expect(oneLine('x'.repeat(10), 4)).toBe('xxxx…');
  });
});

describe('response bodies', () => {
  const rl: SnapshotRateLimit = { tabId: 1, url: 'http://a/sse', projectKey: 'p1', status: 429, retryAfterMs: 1000, limit: 5, current: 5, at: T0, connectionId: null, method: 'GET' };
  it('matches a body by URL, status and nearest time', () => {
    const list = [
      { url: 'http://a/sse', status: 429, at: T0 - 4000, body: 'far', truncated: false },
      { url: 'http://a/sse', status: 429, at: T0 + 20, body: 'near', truncated: false },
      { url: 'http://a/other', status: 429, at: T0, body: 'other', truncated: false },
    ];
    expect(bodyFor(list, rl)?.body).toBe('near');
    expect(bodyFor([{ ...list[0]!, at: T0 - 60_000 }], rl)).toBeNull();
  });
  it('bounds the bodies kept and their size', () => {
    let list: ReturnType<typeof addBody> = [];
    for (let i = 0; i < MAX_BODIES + 5; i++) list = addBody(list, { url: String(i), status: 429, at: i, body: '', truncated: false });
    expect(list.length).toBe(MAX_BODIES);
    expect(list[0]?.url).toBe('5');
    expect(cutBody('x'.repeat(MAX_BODY_CHARS + 1))).toMatchObject({ truncated: true });
  });
});

describe('keyboard movement', () => {
  it('moves within bounds', () => {
    expect(nextIndex('ArrowDown', -1, 5)).toBe(0);
    expect(nextIndex('ArrowDown', 4, 5)).toBe(4);
    expect(nextIndex('ArrowUp', 0, 5)).toBe(0);
    expect(nextIndex('End', 1, 5)).toBe(4);
    expect(nextIndex('Home', 3, 5)).toBe(0);
    expect(nextIndex('PageDown', 0, 50, 10)).toBe(10);
    expect(nextIndex('PageUp', 5, 50, 10)).toBe(0);
    expect(nextIndex('a', 1, 5)).toBeNull();
    expect(nextIndex('ArrowDown', 0, 0)).toBeNull();
  });
});

describe('settings form', () => {
  it('round-trips the settings through the form', () => {
    const r = patchOf(fieldsOf(DEFAULT_SETTINGS));
    expect(r).toEqual({ ok: true, patch: DEFAULT_SETTINGS });
  });
  it('reports local mistakes before sending', () => {
    const f = fieldsOf(DEFAULT_SETTINGS);
    expect(patchOf({ ...f, namePattern: '(' })).toMatchObject({ ok: false });
    expect(patchOf({ ...f, previewBytes: '1.5' })).toEqual({ ok: false, error: 'Preview size: enter a whole number' });
    expect(patchOf({ ...f, queryParams: ' a, ,b ' })).toMatchObject({ ok: true, patch: { projectKeyRules: { queryParams: ['a', 'b'] } } });
    expect(patchOf({ ...f, messageLogRate: '-1' })).toEqual({ ok: false, error: 'Message log rate: enter a whole number' });
    expect(patchOf({ ...f, messageLogRate: '0' })).toMatchObject({ ok: true, patch: { messageLogRate: 0 } });
  });
  it('reads the worker’s answer, including its error', () => {
    expect(readSetAnswer({ ok: false, error: 'logEntries: Invalid value' })).toEqual({ ok: false, error: 'logEntries: Invalid value' });
    expect(readSetAnswer({ ok: true, settings: DEFAULT_SETTINGS })).toEqual({ ok: true, settings: DEFAULT_SETTINGS });
    expect(readSetAnswer(undefined).ok).toBe(false);
  });
});

describe('kind filter values', () => {
  it('maps groups and single kinds', () => {
    expect(kindsOf('')).toBeNull();
    expect([...(kindsOf('messages') ?? [])]).toEqual(['es:message', 'es:message-summary', 'fetch:message', 'fetch:message-summary']);
    expect([...(kindsOf('bc:post') ?? [])]).toEqual(['bc:post']);
    expect(kindsOf('nonsense')).toBeNull();
  });
});
