import { describe, expect, it } from 'vitest';
import { isSseResponse, parseRetryAfter, serverHints } from '../../../src/background/net';
import { projectKeyOfName, projectKeyOfUrl } from '../../../src/background/project-key';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  it('reads delta-seconds', () => expect(parseRetryAfter('10', now)).toBe(10_000));
  it('reads an HTTP-date', () => expect(parseRetryAfter('Sun, 29 Nov 2026 10:00:30 GMT', now)).toBe(30_000));
  it('a date in the past is 0', () => expect(parseRetryAfter('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0));
  it('rejects junk', () => {
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('server hints and classification', () => {
  const headers = [
    { name: 'Retry-After', value: '10' },
    { name: 'X-SSE-Connection-Limit', value: '5' },
    { name: 'x-sse-current-connections', value: '5' },
    { name: 'Content-Type', value: 'application/json' },
  ];
  it('reads the three headers case-insensitively', () => {
    expect(serverHints(headers, 0)).toEqual({ retryAfterMs: 10_000, limit: 5, current: 5, contentType: 'application/json' });
  });
  it('a 429 with X-SSE headers is SSE activity; a plain JSON 200 is not', () => {
    expect(isSseResponse({ method: 'GET', accept: undefined, status: 429, hints: serverHints(headers, 0), knownSseUrl: () => false })).toBe(true);
    expect(isSseResponse({ method: 'GET', accept: 'application/json', status: 200, hints: serverHints([{ name: 'content-type', value: 'application/json' }], 0), knownSseUrl: () => false })).toBe(false);
  });
  it('an event-stream request or response is SSE activity', () => {
    expect(isSseResponse({ method: 'GET', accept: 'text/event-stream', status: 500, hints: serverHints([], 0), knownSseUrl: () => false })).toBe(true);
    expect(isSseResponse({ method: 'GET', accept: '*/*', status: 200, hints: serverHints([{ name: 'content-type', value: 'text/event-stream; charset=utf-8' }], 0), knownSseUrl: () => false })).toBe(true);
  });
  it('a HEAD probe of a known stream URL is SSE activity', () => {
    expect(isSseResponse({ method: 'HEAD', accept: '*/*', status: 429, hints: serverHints([], 0), knownSseUrl: () => true })).toBe(true);
  });
});

describe('project keys', () => {
  it('from the URL query', () => {
    expect(projectKeyOfUrl('http://x/stream?projectId=abc')).toBe('abc');
    expect(projectKeyOfUrl('http://x/stream?project_id=p2')).toBe('p2');
    expect(projectKeyOfUrl('http://x/stream?project=p3')).toBe('p3');
    expect(projectKeyOfUrl('http://x/stream?other=1')).toBeNull();
    expect(projectKeyOfUrl('not a url')).toBeNull();
  });
  it('from channel and lock names', () => {
    expect(projectKeyOfName('chat-abc')).toBe('abc');
    expect(projectKeyOfName('sse:abc')).toBe('abc');
    expect(projectKeyOfName('project_a-b')).toBe('a-b');
    expect(projectKeyOfName('other-abc')).toBeNull();
  });
  it('honours configured rules', () => {
    expect(projectKeyOfName('room/42', { queryParams: [], namePattern: '^room/(\\d+)$', nameGroup: 1 })).toBe('42');
    expect(projectKeyOfName('x', { queryParams: [], namePattern: '(', nameGroup: 1 })).toBeNull();
  });
});
