import { describe, expect, it } from 'vitest';
import {
  browserConnections,
  compareConnections,
  DEFAULT_SERVER_VIEW,
  latestRefusalAt,
  MAX_BACKOFF_MS,
  MAX_SERVER_CONNECTIONS,
  monitoringUrl,
  networkFailure,
  nextDelay,
  parseServerAnswer,
  POLL_MS,
  readStoredSettings,
  storageKey,
  userIdFromCookie,
  userIdFromUrls,
  validateServerViewSettings,
  type ServerList,
} from '../../../src/panel/model/server-view';
import { connection, T0 } from './fixtures';

const ids = { userId: 'u1', projectId: 'demo' };

describe('monitoringUrl', () => {
  it('resolves the default template against the page origin', () => {
    expect(monitoringUrl(DEFAULT_SERVER_VIEW.template, ids, 'http://app.test:8787/chat.html?projectId=demo')).toEqual({
      ok: true,
      url: 'http://app.test:8787/api/debug/sse-connections/u1/demo',
    });
  });

  it('percent-encodes ids so they cannot add path segments, queries or fragments', () => {
    const r = monitoringUrl('/dbg/{userId}/{projectId}?x=1', { userId: '../../admin?a=1#f', projectId: 'p/q r' }, 'http://app.test/a/b');
    expect(r).toEqual({ ok: true, url: 'http://app.test/dbg/..%2F..%2Fadmin%3Fa%3D1%23f/p%2Fq%20r?x=1' });
  });

  it('refuses a whole-segment "." or ".." (the URL parser would climb, even with %2E)', () => {
    expect(monitoringUrl('/dbg/{userId}/{projectId}', { userId: '..', projectId: 'p' }, 'http://app.test/')).toMatchObject({ ok: false });
    expect(monitoringUrl('/dbg/{userId}/{projectId}', { userId: 'u', projectId: '.' }, 'http://app.test/')).toMatchObject({ ok: false });
    expect(monitoringUrl('/dbg/{userId}', { userId: '...', projectId: 'p' }, 'http://app.test/')).toEqual({ ok: true, url: 'http://app.test/dbg/...' });
  });

  it('takes an absolute template as it is, and refuses other schemes and credentials', () => {
    expect(monitoringUrl('https://api.test/c/{userId}', ids, 'http://app.test/')).toEqual({ ok: true, url: 'https://api.test/c/u1' });
    expect(monitoringUrl('javascript:alert({userId})', ids, 'http://app.test/').ok).toBe(false);
    expect(monitoringUrl('file:///etc/{userId}', ids, 'http://app.test/').ok).toBe(false);
    expect(monitoringUrl('http://a:b@api.test/{userId}', ids, null).ok).toBe(false);
  });

  it('needs an http(s) page for a relative template, and a user id', () => {
    expect(monitoringUrl('/x/{userId}', ids, null)).toMatchObject({ ok: false });
    expect(monitoringUrl('/x/{userId}', ids, 'chrome://newtab/')).toMatchObject({ ok: false });
    expect(monitoringUrl('/x/{userId}', { userId: '', projectId: 'p' }, 'http://app.test/')).toEqual({ ok: false, error: 'no user id' });
  });
});

describe('the user id', () => {
  it('comes from the first URL with the query parameter', () => {
    expect(userIdFromUrls(['not a url', 'http://a.test/s?projectId=p', 'http://a.test/s?userId=u%207&projectId=p', 'http://a.test/?userId=other'], 'userId')).toBe('u 7');
    expect(userIdFromUrls(['http://a.test/s?userId='], 'userId')).toBeNull();
  });

  it('comes from a cookie string', () => {
    expect(userIdFromCookie('a=1; sse_demo_user=u-abc; b=2', 'sse_demo_user')).toBe('u-abc');
    expect(userIdFromCookie('sse_demo_user_x=1; sse_demo_user="u%20q"', 'sse_demo_user')).toBe('u q');
    expect(userIdFromCookie('a=1', 'sse_demo_user')).toBeNull();
    expect(userIdFromCookie('', 'sse_demo_user')).toBeNull();
    expect(userIdFromCookie('sse_demo_user=%E0%A4%A', 'sse_demo_user')).toBe('%E0%A4%A');
  });
});

describe('settings', () => {
  it('are off by default with the demo template', () => {
    expect(readStoredSettings(undefined)).toEqual(DEFAULT_SERVER_VIEW);
    expect(DEFAULT_SERVER_VIEW.enabled).toBe(false);
    expect(DEFAULT_SERVER_VIEW.template).toBe('/api/debug/sse-connections/{userId}/{projectId}');
  });

  it('are validated: template placeholders, names, typed id; unknown keys dropped, strings trimmed', () => {
    const ok = validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, enabled: true, template: '  /x/{userId}  ', __proto__x: 1 });
    expect(ok).toEqual({ ok: true, settings: { ...DEFAULT_SERVER_VIEW, enabled: true, template: '/x/{userId}' } });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, template: '/x/{user}' })).toMatchObject({ ok: false, error: expect.stringContaining('URL template') });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, template: '/x/{projectId}' })).toMatchObject({ ok: false, error: expect.stringContaining('{userId}') });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, cookieName: 'a b' })).toMatchObject({ ok: false, error: expect.stringContaining('Cookie name') });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, userIdFrom: 'localStorage' })).toMatchObject({ ok: false });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, enabled: true, userIdFrom: 'typed', userId: ' ' })).toMatchObject({ ok: false, error: expect.stringContaining('User id') });
    expect(validateServerViewSettings({ ...DEFAULT_SERVER_VIEW, template: 'x'.repeat(2000) + '{userId}' })).toMatchObject({ ok: false });
  });

  it('from storage fall back to the defaults when they are not valid', () => {
    expect(readStoredSettings({ enabled: 'yes' })).toEqual(DEFAULT_SERVER_VIEW);
    expect(readStoredSettings({ ...DEFAULT_SERVER_VIEW, enabled: true })).toEqual({ ...DEFAULT_SERVER_VIEW, enabled: true });
  });

  it('live under one storage key per project, bounded', () => {
    expect(storageKey('demo')).toBe('server-view:demo');
    expect(storageKey('x'.repeat(1000)).length).toBe('server-view:'.length + 256);
  });
});

describe('parseServerAnswer', () => {
  const demo = {
    connections: [
      { id: 'a', openedAt: new Date(T0).toISOString(), instanceId: 'i-1', userId: 'u1', projectId: 'demo', userAgent: 'UA-A' },
      { id: 'b', openedAt: new Date(T0 + 1000).toISOString(), instanceId: 'i-1', userId: 'u1', projectId: 'demo', lastEventId: '4' },
    ],
    count: 2,
    limit: 5,
  };

  it("reads the demo server's shape", () => {
    const r = parseServerAnswer(200, 'application/json', JSON.stringify(demo));
    expect(r).toEqual({
      ok: true,
      list: {
        count: 2,
        limit: 5,
        skipped: 0,
        connections: [
          { id: 'a', openedAt: T0, instanceId: 'i-1', userAgent: 'UA-A', lastEventId: null },
          { id: 'b', openedAt: T0 + 1000, instanceId: 'i-1', userAgent: null, lastEventId: '4' },
        ],
      },
    });
  });

  it('says quietly what is wrong: status, not JSON, wrong shape', () => {
    expect(parseServerAnswer(404, 'application/json', '')).toMatchObject({ ok: false, failure: { kind: 'http', status: 404, message: expect.stringContaining('404') } });
    expect(parseServerAnswer(403, null, '')).toMatchObject({ ok: false, failure: { kind: 'http', message: expect.stringContaining('credentials') } });
    expect(parseServerAnswer(200, 'text/html; charset=utf-8', '<html>')).toMatchObject({ ok: false, failure: { kind: 'not-json', message: expect.stringContaining('text/html') } });
    expect(parseServerAnswer(200, 'application/json', '{"count":1}')).toMatchObject({ ok: false, failure: { kind: 'bad-shape' } });
    expect(parseServerAnswer(200, 'application/json', '[]')).toMatchObject({ ok: false, failure: { kind: 'bad-shape' } });
    expect(parseServerAnswer(200, 'application/json', '{"connections":[],"count":-1}')).toMatchObject({ ok: false, failure: { kind: 'bad-shape' } });
    expect(parseServerAnswer(200, 'application/json', 'x'.repeat(600_000))).toMatchObject({ ok: false, failure: { kind: 'bad-shape' } });
  });

  it('treats hostile records as text: bad ones skipped, control characters removed, strings bounded, no prototype keys', () => {
    const r = parseServerAnswer(
      200,
      'application/json',
      JSON.stringify({
        connections: [{ id: 7 }, null, { id: '<img src=x onerror=alert(1)>', userAgent: 'u'.repeat(5000) }, { id: 'x', userAgent: 'u'.repeat(9000) }],
        count: 4,
      }),
    );
    if (!r.ok) throw new Error('expected ok');
    expect(r.list.skipped).toBe(3);
    expect(r.list.limit).toBeNull();
    expect(r.list.connections).toHaveLength(1);
    expect(r.list.connections[0]?.id).toBe('<img src=x onerror=alert(1)>');
    expect(r.list.connections[0]?.userAgent).toHaveLength(1024);
    const r2 = parseServerAnswer(200, 'application/json', JSON.stringify({ connections: [{ id: '<b>x</b>\u0000\n', openedAt: 'not a date', constructor: 'x' }] }));
    if (!r2.ok) throw new Error('expected ok');
    expect(r2.list.connections[0]).toEqual({ id: '<b>x</b>  ', openedAt: null, instanceId: null, userAgent: null, lastEventId: null });
    expect(r2.list.count).toBe(1);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it('keeps at most MAX_SERVER_CONNECTIONS records', () => {
    const many = Array.from({ length: MAX_SERVER_CONNECTIONS + 10 }, (_, i) => ({ id: String(i) }));
    const r = parseServerAnswer(200, 'application/json', JSON.stringify({ connections: many, count: many.length }));
    if (!r.ok) throw new Error('expected ok');
    expect(r.list.connections).toHaveLength(MAX_SERVER_CONNECTIONS);
    expect(r.list.skipped).toBe(10);
    expect(r.list.count).toBe(MAX_SERVER_CONNECTIONS + 10);
  });

  it('network errors and timeouts are one quiet failure each', () => {
    expect(networkFailure(new TypeError('Failed to fetch'), false)).toMatchObject({ kind: 'network', message: expect.stringContaining('CORS') });
    expect(networkFailure(new DOMException('aborted', 'AbortError'), true)).toMatchObject({ kind: 'timeout' });
  });
});

describe('polling', () => {
  it('asks every POLL_MS, and backs off after failures up to a minute', () => {
    expect(nextDelay(0)).toBe(POLL_MS);
    expect(nextDelay(1)).toBe(POLL_MS * 2);
    expect(nextDelay(2)).toBe(POLL_MS * 4);
    expect(nextDelay(50)).toBe(MAX_BACKOFF_MS);
  });

  it('notices a new 429 of the project only', () => {
    const rl = [
      { projectKey: 'p1', status: 429, at: 10 },
      { projectKey: 'p2', status: 429, at: 30 },
      { projectKey: 'p1', status: 503, at: 40 },
      { projectKey: 'p1', status: 429, at: 20 },
    ];
    expect(latestRefusalAt(rl, 'p1')).toBe(20);
    expect(latestRefusalAt([], 'p1')).toBe(0);
  });
});

describe('compareConnections', () => {
  const UA = 'Mozilla/5.0 (this browser)';
  const list = (records: Partial<ServerList['connections'][number]>[], count = records.length): ServerList => ({
    count,
    limit: 5,
    skipped: 0,
    connections: records.map((r, i) => ({ id: `s${i}`, openedAt: T0, instanceId: 'i', userAgent: UA, lastEventId: null, ...r })),
  });

  it('only open connections of the project are this browser’s', () => {
    const conns = [connection({ id: 'a' }), connection({ id: 'b', state: 'closed' }), connection({ id: 'c', projectKey: 'p2' }), connection({ id: 'd', state: 'connecting' })];
    expect(browserConnections(conns, 'p1').map((c) => c.id)).toEqual(['a']);
  });

  it('two devices: the server holds 2, this browser 1; the other device is named by its user agent', () => {
    const cmp = compareConnections(list([{ openedAt: T0 + 300 }, { id: 'phone', openedAt: T0 + 200, userAgent: 'Phone' }]), [connection({ id: 'mine', tabId: 4 })], UA);
    expect(cmp.serverCount).toBe(2);
    expect(cmp.browserCount).toBe(1);
    expect(cmp.heldElsewhere).toBe(1);
    expect(cmp.otherUserAgent).toBe(1);
    expect(cmp.notOnServer).toBe(0);
    expect(cmp.summary).toBe('Server holds 2, this browser holds 1.');
    expect(cmp.explanations).toEqual([expect.stringMatching(/^1 held elsewhere or not yet reaped: 1 from another browser or device/)]);
    expect(cmp.rows.map((r) => [r.connection.id, r.kind, r.tabId])).toEqual([
      ['s0', 'matched', 4],
      ['phone', 'elsewhere', null],
    ]);
    expect(cmp.browser).toEqual([{ connection: expect.objectContaining({ id: 'mine' }), serverId: 's0' }]);
  });

  it('same user agent beyond what this browser holds: held elsewhere or not yet reaped (a crashed tab)', () => {
    const cmp = compareConnections(list([{ openedAt: T0 - 60_000 }, { openedAt: T0 + 100 }]), [connection()], UA);
    expect(cmp.heldElsewhere).toBe(1);
    expect(cmp.otherUserAgent).toBe(0);
    expect(cmp.rows.map((r) => r.kind)).toEqual(['unmatched', 'matched']);
    expect(cmp.explanations[0]).toContain('not reaped yet');
  });

  it('the browser holds more than the server lists', () => {
    const cmp = compareConnections(list([]), [connection({ id: 'a' }), connection({ id: 'b' })], UA);
    expect(cmp.notOnServer).toBe(2);
    expect(cmp.heldElsewhere).toBe(0);
    expect(cmp.explanations).toEqual([expect.stringContaining("2 of this browser's connections are not in the server's list")]);
  });

  it('the same on both sides, each record used once, closest times paired', () => {
    const cmp = compareConnections(list([{ openedAt: T0 + 1000 }, { openedAt: T0 + 50 }]), [connection({ id: 'a', openedAt: T0 }), connection({ id: 'b', openedAt: T0 + 1100 })], UA);
    expect(cmp.summary).toBe('Server holds 2, this browser holds 2: the same connections.');
    expect(cmp.explanations).toEqual([]);
    expect(cmp.browser.map((b) => [b.connection.id, b.serverId])).toEqual([
      ['a', 's1'],
      ['b', 's0'],
    ]);
  });

  it('without times or user agents it explains by counts only; a count above the list counts too', () => {
    const cmp = compareConnections(list([{ openedAt: null, userAgent: null }], 3), [connection()], UA);
    expect(cmp.serverCount).toBe(3);
    expect(cmp.heldElsewhere).toBe(2);
    expect(cmp.rows[0]?.kind).toBe('unmatched');
    expect(cmp.browser[0]?.serverId).toBeNull();
  });
});
