import { afterEach, describe, expect, it } from 'vitest';
import { readLockRequest } from '../../../src/content/lock-options';
import { isEventStream, HeaderPicker, normalizeMethod } from '../../../src/content/fetch-headers';
import { readDeclaration } from '../../../src/content/hook';
import { guarded, isOn, resetGuardForTests, safely, setFailureReporter } from '../../../src/content/guard';
import { cleanStack, setOwnOriginForTests, withoutFramesOf } from '../../../src/content/stack';

const cb = () => undefined;
const never = () => false;

describe('readLockRequest', () => {
  it('reads both call shapes and the options', () => {
    expect(readLockRequest(['a', cb], never)).toMatchObject({ name: 'a', mode: 'exclusive', ifAvailable: false, steal: false, signal: null, callbackIndex: 1, rejects: null });
    const signal = {};
    expect(readLockRequest(['a', { mode: 'shared', ifAvailable: 1 }, cb], never)).toMatchObject({ mode: 'shared', ifAvailable: true, callbackIndex: 2 });
    expect(readLockRequest(['a', { signal }, cb], never)).toMatchObject({ signal });
    expect(readLockRequest(['a', null, cb], never)).toMatchObject({ mode: 'exclusive', callbackIndex: 2 });
    // Inherited data properties count, as they do for the browser.
    expect(readLockRequest(['a', Object.create({ mode: 'shared' }), cb], never)).toMatchObject({ mode: 'shared' });
  });

  it('predicts the requests the browser rejects before queueing', () => {
    expect(readLockRequest(['-x', cb], never)?.rejects).toMatch(/-/);
    expect(readLockRequest(['a', { steal: true, ifAvailable: true }, cb], never)?.rejects).toBeTruthy();
    expect(readLockRequest(['a', { steal: true, mode: 'shared' }, cb], never)?.rejects).toBeTruthy();
    expect(readLockRequest(['a', { steal: true, signal: {} }, cb], never)?.rejects).toBeTruthy();
    expect(readLockRequest(['a', { signal: {} }, cb], () => true)?.rejects).toMatch(/aborted/);
  });

  it('leaves alone what it cannot read without running page code', () => {
    let calls = 0;
    const options = {
      get mode() {
        calls++;
        return 'shared';
      },
    };
    expect(readLockRequest(['a', options, cb], never)).toBeNull();
    expect(readLockRequest([{ toString: () => 'a' }, cb], never)).toBeNull();
    expect(readLockRequest(['a', 'not a function'], never)).toBeNull();
    expect(readLockRequest(['a', { mode: 'bogus' }, cb], never)).toBeNull();
    expect(calls).toBe(0);
  });
});

describe('fetch helpers', () => {
  it('recognises text/event-stream with parameters and any case', () => {
    expect(isEventStream('text/event-stream')).toBe(true);
    expect(isEventStream('Text/Event-Stream; charset=utf-8')).toBe(true);
    expect(isEventStream(' text/event-stream ;x=y')).toBe(true);
    expect(isEventStream('text/event-streams')).toBe(false);
    expect(isEventStream('application/json')).toBe(false);
    expect(isEventStream(null)).toBe(false);
  });

  it('keeps headers of interest, bounded', () => {
    const p = new HeaderPicker();
    p.add('content-type', 'text/event-stream');
    p.add('retry-after', '10');
    p.add('x-sse-connection-limit', '5');
    p.add('ratelimit-remaining', '0');
    p.add('set-cookie', 'secret');
    p.add('date', 'today');
    p.add('x-long', 'v'.repeat(5000));
    expect(Object.keys(p.headers)).toEqual(['content-type', 'retry-after', 'x-sse-connection-limit', 'ratelimit-remaining', 'x-long']);
    expect(p.headers['x-long']).toHaveLength(1024);
    for (let i = 0; i < 100; i++) p.add(`x-${i}`, '1');
    expect(Object.keys(p.headers)).toHaveLength(32);
  });

  it('normalises methods as fetch does', () => {
    expect(normalizeMethod('post')).toBe('POST');
    expect(normalizeMethod('patch')).toBe('patch');
    expect(normalizeMethod(undefined)).toBe('GET');
  });
});

describe('hook declarations', () => {
  it('accepts the documented shape only', () => {
    expect(readDeclaration({ projectKey: 'chat', role: 'leader' })).toEqual({ projectKey: 'chat', role: 'leader' });
    expect(readDeclaration({ projectKey: 'chat', role: 'follower', extra: 1 })).toEqual({ projectKey: 'chat', role: 'follower' });
    expect(readDeclaration({ projectKey: 'chat', role: 'boss' })).toBeNull();
    expect(readDeclaration({ projectKey: '', role: 'leader' })).toBeNull();
    expect(readDeclaration({ projectKey: 'x'.repeat(513), role: 'leader' })).toBeNull();
    expect(readDeclaration(null)).toBeNull();
    expect(readDeclaration('leader')).toBeNull();
  });
});

describe('guard', () => {
  afterEach(resetGuardForTests);

  it('turns itself off at the first internal failure, reports it once, never throws', () => {
    const reports: string[] = [];
    setFailureReporter((m) => reports.push(m));
    expect(safely('a', () => 1)).toBe(1);
    expect(() =>
      safely('es:event', () => {
        throw new TypeError('boom');
      }),
    ).not.toThrow();
    expect(isOn()).toBe(false);
    expect(safely('b', () => 2)).toBeUndefined();
    safely('c', () => {
      throw new Error('again');
    });
    expect(reports).toEqual(['es:event: Error: boom']);
  });

  it('a guarded listener runs as safely does: its argument passed, a failure turns everything off once, then nothing runs', () => {
    const reports: string[] = [];
    setFailureReporter((m) => reports.push(m));
    const seen: number[] = [];
    const listener = guarded('bc:event', (n: number) => {
      if (n === 2) throw new RangeError('two');
      seen.push(n);
    });
    listener(1);
    expect(() => listener(2)).not.toThrow();
    listener(3);
    expect(seen).toEqual([1]);
    expect(isOn()).toBe(false);
    expect(safely('other', () => 1)).toBeUndefined();
    expect(reports).toEqual(['bc:event: Error: two']);
  });

  it('a guarded hook of two arguments gets both', () => {
    const seen: [object, unknown][] = [];
    const hook = guarded('bc:post', (thisArg: object, message: unknown) => {
      seen.push([thisArg, message]);
    });
    const channel = {};
    hook(channel, 'hello');
    expect(seen).toEqual([[channel, 'hello']]);
    expect(isOn()).toBe(true);
  });

  it('does not run page code to describe what was thrown', () => {
    const reports: string[] = [];
    setFailureReporter((m) => reports.push(m));
    let touched = 0;
    safely('x', () => {
      throw {
        get message() {
          touched++;
          return 'm';
        },
        toString() {
          touched++;
          return 's';
        },
      };
    });
    expect(touched).toBe(0);
    expect(reports).toHaveLength(1);
  });
});

describe('stack cleaning', () => {
  it('removes only the lines of our own script', () => {
    const origin = 'chrome-extension://abc/';
    const stack = [
      'TypeError: nope',
      '    at K.a.apply (chrome-extension://abc/src/content/main-world.iife.js:2:1065)',
      '    at page (http://site/app.js:1:2)',
      '    at chrome-extension://other/x.js:1:1',
    ].join('\n');
    expect(withoutFramesOf(stack, origin)).toBe(['TypeError: nope', '    at page (http://site/app.js:1:2)', '    at chrome-extension://other/x.js:1:1'].join('\n'));
    expect(withoutFramesOf('Error: x', origin)).toBe('Error: x');
  });

  it('cleans an error in place, and leaves it alone when the page formats stacks itself', () => {
    setOwnOriginForTests('file:///ours/');
    // The test runner installs its own Error.prepareStackTrace (source maps): set it aside.
    const ErrorCtor = Error as unknown as { prepareStackTrace?: unknown };
    const runners = ErrorCtor.prepareStackTrace;
    delete ErrorCtor.prepareStackTrace;
    try {
      const e = new Error('m');
      e.stack = 'Error: m\n    at ours (file:///ours/a.js:1:1)\n    at theirs (file:///theirs/b.js:1:1)';
      cleanStack(e);
      expect(e.stack).toBe('Error: m\n    at theirs (file:///theirs/b.js:1:1)');
      const f = new Error('n');
      f.stack = 'Error: n\n    at ours (file:///ours/a.js:1:1)';
      ErrorCtor.prepareStackTrace = () => 'custom';
      try {
        cleanStack(f);
      } finally {
        delete ErrorCtor.prepareStackTrace;
      }
      expect(f.stack).toContain('file:///ours/');
    } finally {
      setOwnOriginForTests(null);
      if (runners !== undefined) ErrorCtor.prepareStackTrace = runners;
    }
  });

  it('learns its origin only when an error needs cleaning, and never by running the page\'s prepareStackTrace', () => {
    setOwnOriginForTests(null); // not learned: install no longer makes a stack at startup
    const ErrorCtor = Error as unknown as { prepareStackTrace?: unknown };
    const runners = ErrorCtor.prepareStackTrace;
    let calls = 0;
    ErrorCtor.prepareStackTrace = () => {
      calls++;
      return 'page-formatted';
    };
    try {
      const e = new Error('m');
      e.stack = 'Error: m\n    at page (http://site/app.js:1:2)';
      cleanStack(e);
      // Learning the origin would have formatted a stack of our own through the page's function.
      expect(calls).toBe(0);
      expect(e.stack).toBe('Error: m\n    at page (http://site/app.js:1:2)');
    } finally {
      delete ErrorCtor.prepareStackTrace;
      if (runners !== undefined) ErrorCtor.prepareStackTrace = runners;
    }
    // Without the page's function, an error with no frames of an extension is left as it was
    // (here, in Node, our own frames are file:// ones: nothing to learn, nothing to clean).
    const g = new Error('n');
    g.stack = 'Error: n\n    at page (http://site/app.js:1:2)';
    cleanStack(g);
    expect(g.stack).toBe('Error: n\n    at page (http://site/app.js:1:2)');
  });
});
