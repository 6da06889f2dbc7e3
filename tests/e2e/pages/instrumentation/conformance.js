// Conformance checks: every value a page can observe about EventSource,
// BroadcastChannel, Web Locks and fetch streams. The e2e suite runs this page
// in Chromium without the extension and with it, and requires identical
// results. Each entry of `results` is one assertion. Loaded synchronously from
// <head>, so it runs after the extension's document_start script.
'use strict';
(() => {
  const results = {};
  const record = (name, fn) => {
    try {
      results[name] = fn();
    } catch (e) {
      results[name] = { threw: e && e.name, message: e && e.message };
    }
  };
  const recordAsync = async (name, fn) => {
    try {
      results[name] = await fn();
    } catch (e) {
      results[name] = { threw: e && e.name, message: e && e.message };
    }
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const attrs = (owner, key) => {
    const d = Object.getOwnPropertyDescriptor(owner, key);
    return d && { writable: d.writable, enumerable: d.enumerable, configurable: d.configurable, get: typeof d.get, set: typeof d.set };
  };
  const fnFacts = (f) => [String(f), Function.prototype.toString.call(f), f.name, f.length, typeof f.prototype];
  const until = async (cond, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) return false;
      await sleep(10);
    }
    return true;
  };
  // Counts only the streams of one check (its `conf` tag): a stream some
  // other check left to the garbage collector must not decide this one.
  const openStreams = async (conf) => (await (await fetch('/open-streams?conf=' + encodeURIComponent(conf))).json()).open;
  const untilNoOpenStreams = async (conf) => {
    const end = Date.now() + 8000;
    let n = await openStreams(conf);
    while (n !== 0 && Date.now() < end) {
      await sleep(50);
      n = await openStreams(conf);
    }
    return n;
  };
  const errorsSeen = [];
  window.addEventListener('error', (e) => errorsSeen.push(e.message));
  const rejectionsSeen = [];
  window.addEventListener('unhandledrejection', (e) => rejectionsSeen.push(e.reason && (e.reason.name || String(e.reason))));

  // The extension must not talk through channels a page watches.
  const windowMessages = [];
  window.addEventListener('message', (e) => windowMessages.push(typeof e.data));
  const mutations = [];
  new MutationObserver((list) => mutations.push(list.length)).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });

  // ---------------------------------------------------------------- natives
  record('es.facts', () => fnFacts(EventSource));
  record('es.typeof', () => typeof EventSource);
  record('es.constants', () => [EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED, EventSource.prototype.CONNECTING, EventSource.prototype.OPEN, EventSource.prototype.CLOSED]);
  record('es.protoConstructor', () => EventSource.prototype.constructor === EventSource);
  record('es.protoConstructorAttrs', () => attrs(EventSource.prototype, 'constructor'));
  record('es.ownNames', () => Object.getOwnPropertyNames(EventSource).sort());
  record('es.protoNames', () => Object.getOwnPropertyNames(EventSource.prototype).sort());
  record('es.protoChain', () => [Object.getPrototypeOf(EventSource) === EventTarget, Object.getPrototypeOf(EventSource.prototype) === EventTarget.prototype]);
  record('es.globalAttrs', () => attrs(window, 'EventSource'));
  record('es.callWithoutNew', () => {
    try {
      EventSource('/hold');
      return 'no throw';
    } catch (e) {
      return [e instanceof TypeError, e.message];
    }
  });
  record('es.close', () => [...fnFacts(EventSource.prototype.close), attrs(EventSource.prototype, 'close')]);
  record('es.onmessageAccessor', () => {
    const d = Object.getOwnPropertyDescriptor(EventSource.prototype, 'onmessage');
    return [fnFacts(d.get), fnFacts(d.set)];
  });
  record('fn.toString', () => [...fnFacts(Function.prototype.toString), Function.prototype.toString.call(Function.prototype.toString), attrs(Function.prototype, 'toString')]);
  record('fn.toStringOfProxy', () => Function.prototype.toString.call(new Proxy(function f() {}, {})));
  record('fn.toStringIllegal', () => {
    try {
      Function.prototype.toString.call({});
      return 'no throw';
    } catch (e) {
      return [e.name, e.message];
    }
  });
  record('et.addEventListener', () => [...fnFacts(EventTarget.prototype.addEventListener), attrs(EventTarget.prototype, 'addEventListener')]);
  record('fetch.facts', () => [...fnFacts(fetch), attrs(window, 'fetch'), window.fetch === fetch]);
  record('bc.facts', () => [...fnFacts(BroadcastChannel), BroadcastChannel.prototype.constructor === BroadcastChannel, Object.getOwnPropertyNames(BroadcastChannel.prototype).sort(), attrs(window, 'BroadcastChannel')]);
  record('bc.methods', () => [fnFacts(BroadcastChannel.prototype.postMessage), fnFacts(BroadcastChannel.prototype.close)]);
  record('locks.facts', () => [fnFacts(navigator.locks.request), fnFacts(navigator.locks.query), Object.getOwnPropertyNames(LockManager.prototype).sort(), navigator.locks.request === LockManager.prototype.request]);
  record('streams.facts', () => [
    fnFacts(ReadableStream.prototype.cancel),
    fnFacts(ReadableStream.prototype.getReader),
    fnFacts(ReadableStream.prototype.values),
    ReadableStream.prototype.values === ReadableStream.prototype[Symbol.asyncIterator],
    fnFacts(ReadableStreamDefaultReader.prototype.cancel),
    fnFacts(ReadableStreamBYOBReader.prototype.cancel),
    fnFacts(Object.getPrototypeOf(new ReadableStream().values()).return),
  ]);
  record('clone.wrappedFunctions', () =>
    [EventSource, fetch, BroadcastChannel.prototype.postMessage, Function.prototype.toString].map((f) => {
      try {
        structuredClone(f);
        return 'cloned';
      } catch (e) {
        return [e.name, e.message];
      }
    }),
  );
  record('fetch.newFetch', () => {
    try {
      new fetch('/x');
      return 'constructed';
    } catch (e) {
      return [e.name, e.message];
    }
  });
  record('fn.descriptors', () =>
    [EventSource, fetch, BroadcastChannel, navigator.locks.request].map((f) =>
      Object.entries(Object.getOwnPropertyDescriptors(f)).map(([k, d]) => [k, typeof d.value, d.writable, d.enumerable, d.configurable]),
    ),
  );
  record('fn.bind', () => [EventSource.bind(null).name, fetch.bind(null).name, String(fetch.bind(null))]);
  record('window.enumerable', () => Object.keys(window).filter((k) => /sse|hook|devtools/i.test(k)));
  record('window.forIn', () => {
    const found = [];
    for (const k in window) if (/sse|hook/i.test(k)) found.push(k);
    return found;
  });
  record('prototypes.untouched', () => [
    Object.getOwnPropertyNames(Object.prototype).sort(),
    Object.getOwnPropertyNames(Function.prototype).sort(),
    Object.getOwnPropertyNames(EventTarget.prototype).sort(),
    Object.getOwnPropertyNames(MessageEvent.prototype).sort(),
    Object.getOwnPropertyNames(Response.prototype).sort(),
  ]);

  // ---------------------------------------------------- stacks of thrown errors
  // Errors that natives throw through a wrapper must not show its frames.
  const stackOf = (fn) => {
    try {
      fn();
      return 'no throw';
    } catch (e) {
      return [e.name, e.stack];
    }
  };
  record('stack.esBadUrl', () => stackOf(() => new EventSource('http://[')));
  record('stack.descriptorShape', () => {
    try {
      new EventSource('http://[');
      return 'no throw';
    } catch (e) {
      const own = Object.getOwnPropertyDescriptor(e, 'stack');
      return [Object.prototype.hasOwnProperty.call(e, 'stack'), own && [typeof own.get, typeof own.set, typeof own.value, own.enumerable, own.configurable, own.writable]];
    }
  });
  record('stack.esIllegalClose', () => stackOf(() => EventSource.prototype.close.call({})));
  record('stack.bcNoArgs', () => stackOf(() => new BroadcastChannel()));
  record('stack.bcDataClone', () => stackOf(() => new BroadcastChannel('conf-stack').postMessage(() => 1)));
  record('stack.addEventListenerIllegal', () => stackOf(() => EventTarget.prototype.addEventListener.call({}, 'x', () => {})));
  record('stack.toStringIllegal', () => stackOf(() => Function.prototype.toString.call(1)));
  record('stack.getterThrowsDuringClone', () =>
    stackOf(() =>
      new BroadcastChannel('conf-stack').postMessage({
        get boom() {
          throw new Error('getter says no');
        },
      }),
    ),
  );

  // ------------------------------------------------------ EventSource instances
  record('es.instance', () => {
    const es = new EventSource('/hold?conf=instance');
    const out = [es instanceof EventSource, Object.getPrototypeOf(es) === EventSource.prototype, es.constructor === EventSource, Object.getOwnPropertyNames(es), String(es), Object.prototype.toString.call(es), es.withCredentials, es.readyState, es.url === location.origin + '/hold?conf=instance'];
    es.close();
    return [...out, es.readyState];
  });
  record('es.subclass', () => {
    class Tagged extends EventSource {
      constructor(url) {
        super(url);
        this.tag = 'mine';
      }
      describe() {
        return `${this.tag}:${this.readyState}`;
      }
    }
    const x = new Tagged('/hold?conf=subclass');
    const out = [x instanceof Tagged, x instanceof EventSource, Object.getPrototypeOf(Tagged) === EventSource, x.constructor === Tagged, x.describe(), Object.getOwnPropertyNames(x)];
    x.close();
    return out;
  });
  record('es.reflectConstruct', () => {
    function Other() {}
    Other.prototype = Object.create(EventSource.prototype);
    const x = Reflect.construct(EventSource, ['/hold?conf=reflect'], Other);
    const out = [Object.getPrototypeOf(x) === Other.prototype, x instanceof EventSource];
    x.close();
    return out;
  });
  record('es.withCredentials', () => {
    const es = new EventSource('/hold?conf=cred', { withCredentials: true });
    es.close();
    return es.withCredentials;
  });
  record('es.argumentReads', () => {
    let urlReads = 0;
    let initReads = 0;
    const url = { toString: () => (urlReads++, '/hold?conf=reads') };
    const init = {
      get withCredentials() {
        initReads++;
        return false;
      },
    };
    const es = new EventSource(url, init);
    es.close();
    return [urlReads, initReads];
  });
  record('es.badUrl', () => {
    try {
      new EventSource('http://[');
      return 'no throw';
    } catch (e) {
      return [e.name, e.message];
    }
  });
  record('es.onmessageIdentity', () => {
    const es = new EventSource('/hold?conf=identity');
    const f = () => {};
    const out = [es.onmessage];
    es.onmessage = f;
    out.push(es.onmessage === f);
    es.onmessage = 'not a function';
    out.push(es.onmessage);
    es.onerror = f;
    out.push(es.onerror === f, es.onopen);
    es.close();
    return out;
  });
  record('es.syntheticDispatch', () => {
    const es = new EventSource('/hold?conf=synthetic');
    const got = [];
    es.onmessage = (e) => got.push([e.data, e.isTrusted]);
    const ret = es.dispatchEvent(new MessageEvent('message', { data: 'fake', lastEventId: 'f' }));
    es.close();
    return [ret, got];
  });

  async function eventSourceChecks() {
    await recordAsync('es.listeners', async () => {
      const log = [];
      const errorsBefore = errorsSeen.length;
      const es = new EventSource('/script/basic');
      const ctrl = new AbortController();
      const handler = {
        handleEvent(e) {
          log.push(['handleEvent', this === handler, e.data]);
        },
      };
      es.onopen = function (e) {
        log.push(['onopen', this === es, e.target === es, e.type, es.readyState, e.isTrusted, e instanceof Event, e instanceof MessageEvent]);
      };
      es.addEventListener('open', (e) => log.push(['open-listener', e.currentTarget === es, e.eventPhase]));
      es.onmessage = function (e) {
        log.push(['onmessage', e.data, e.lastEventId, this === es, e.target === es, e.currentTarget === es, e.type, e.origin === location.origin, e instanceof MessageEvent, e.isTrusted, e.source, e.ports.length]);
        queueMicrotask(() => log.push(['microtask-after-onmessage', e.data]));
      };
      es.addEventListener('message', handler);
      es.addEventListener('message', (e) => log.push(['once', e.data]), { once: true });
      es.addEventListener('message', (e) => {
        log.push(['signal', e.data]);
        ctrl.abort();
      }, { signal: ctrl.signal });
      const removed = (e) => log.push(['removed', e.data]);
      es.addEventListener('message', removed);
      es.removeEventListener('message', removed);
      es.addEventListener('message', (e) => {
        throw new Error(`page-boom ${e.data}`);
      });
      es.addEventListener('message', (e) => log.push(['after-throw', e.data]), true);
      es.addEventListener('tick', (e) => {
        log.push(['tick-1', e.data, e.lastEventId, e.type, e instanceof MessageEvent]);
        e.stopImmediatePropagation();
      });
      es.addEventListener('tick', (e) => log.push(['tick-2-stopped', e.data]));
      es.onerror = function (e) {
        log.push(['onerror', es.readyState, e.type, e instanceof MessageEvent, this === es]);
        es.close();
        log.push(['closed', es.readyState]);
      };
      await until(() => log.some((l) => l[0] === 'closed'));
      await sleep(500); // the server's retry is 300 ms: a closed source must stay quiet
      return { log, errors: errorsSeen.slice(errorsBefore) };
    });

    await recordAsync('es.reconnect', async () => {
      const log = [];
      const es = new EventSource('/script/basic?conf=reconnect');
      let opens = 0;
      es.onopen = () => {
        log.push(['open', es.readyState]);
        if (++opens === 2) {
          // Close in the handler: what arrives after the second open would be a race.
          es.close();
          log.push(['closed', es.readyState]);
        }
      };
      es.onerror = () => log.push(['error', es.readyState]);
      es.onmessage = (e) => log.push(['message', e.data, e.lastEventId]);
      await until(() => opens === 2);
      await sleep(100);
      return log;
    });

    await recordAsync('es.fatal', async () => {
      const log = [];
      const es = new EventSource('/fail');
      es.onopen = () => log.push('open');
      es.onerror = (e) => log.push(['error', es.readyState, e.type]);
      await until(() => log.length > 0);
      await sleep(300);
      return log;
    });

    await recordAsync('es.closeBeforeOpen', async () => {
      const log = [];
      const es = new EventSource('/hold?conf=early-close');
      es.onopen = () => log.push('open');
      es.onerror = () => log.push('error');
      es.onmessage = () => log.push('message');
      es.close();
      log.push(es.readyState);
      await sleep(300);
      return log;
    });

    await recordAsync('es.namedErrorAndOpen', async () => {
      const log = [];
      const es = new EventSource('/script/tricky');
      es.addEventListener('error', (e) => log.push(['error', e.constructor.name, e.data, es.readyState]));
      es.addEventListener('open', (e) => log.push(['open', e.constructor.name, e.data, es.readyState]));
      es.onmessage = (e) => {
        log.push(['message', e.data]);
        es.close();
      };
      await until(() => log.some((l) => l[0] === 'message'));
      return log;
    });

    await recordAsync('es.unicode', async () => {
      const got = [];
      const es = new EventSource('/script/unicode');
      es.onmessage = (e) => got.push(e.data);
      es.addEventListener('tick', (e) => got.push(['tick', e.data]));
      es.onerror = () => es.close();
      await until(() => got.length === 2);
      es.close();
      return got;
    });
  }

  // Built-ins a page may patch after we started: the wrapper must call none
  // of them (it uses natives captured at document_start), so the counts are
  // those of the page's own code, with or without the extension.
  async function patchedBuiltinChecks() {
    await recordAsync('quiet.patchedBuiltins', async () => {
      const counts = {};
      const restore = [];
      const patch = (owner, key, label) => {
        const desc = Object.getOwnPropertyDescriptor(owner, key);
        const original = desc.value;
        counts[label] = 0;
        owner[key] = function (...args) {
          counts[label]++;
          return Reflect.apply(original, this, args);
        };
        restore.push(() => Object.defineProperty(owner, key, desc));
      };
      patch(RegExp.prototype, 'exec', 'RegExp#exec');
      patch(RegExp.prototype, Symbol.match, 'RegExp#@@match');
      patch(RegExp.prototype, Symbol.replace, 'RegExp#@@replace');
      patch(String.prototype, 'slice', 'String#slice');
      patch(String.prototype, 'charCodeAt', 'String#charCodeAt');
      patch(TextEncoder.prototype, 'encode', 'TextEncoder#encode');
      patch(TextEncoder.prototype, 'encodeInto', 'TextEncoder#encodeInto');
      patch(Object.getPrototypeOf(Uint8Array.prototype), 'subarray', 'TypedArray#subarray');
      patch(JSON, 'stringify', 'JSON.stringify');
      patch(Object, 'keys', 'Object.keys');
      patch(Array.prototype, 'push', 'Array#push');
      try {
        const got = [];
        const es = new EventSource('/script/unicode?conf=patched');
        es.onmessage = (e) => got.push(e.data.length);
        es.addEventListener('tick', (e) => got.push(e.data.length));
        es.onerror = () => es.close();
        const a = new BroadcastChannel('conf-patched');
        const b = new BroadcastChannel('conf-patched');
        b.onmessage = (e) => got.push(typeof e.data);
        a.postMessage({ text: 'é😀'.repeat(1000), list: [1, 2, 3] });
        a.postMessage('x'.repeat(5000));
        await until(() => got.length >= 4);
        es.close();
        a.close();
        b.close();
        await sleep(100);
        return [got.length, { ...counts }];
      } finally {
        for (const undo of restore) undo();
      }
    });
  }

  // -------------------------------------------------------- BroadcastChannel
  async function broadcastChannelChecks() {
    await recordAsync('bc.delivery', async () => {
      const a = new BroadcastChannel('conf');
      const b = new BroadcastChannel('conf');
      const other = new BroadcastChannel('conf-other');
      const log = [];
      a.onmessage = () => log.push('a got its own post');
      other.onmessage = () => log.push('other channel got it');
      b.onmessage = function (e) {
        log.push(['b.onmessage', e.data, this === b, e.target === b, e.origin === location.origin, e.source, e.isTrusted, e instanceof MessageEvent, e.lastEventId]);
      };
      b.addEventListener('message', (e) => log.push(['b.listener', typeof e.data]));
      a.postMessage({ n: 1, nested: { list: [1, 'two', null] }, map: new Map([['k', 'v']]), set: new Set([1]), date: new Date(0), bytes: new Uint8Array([1, 2]) });
      a.postMessage('second');
      a.postMessage(3);
      await until(() => log.filter((l) => l[0] === 'b.onmessage').length === 3);
      await sleep(50);
      const result = log.map((l) => (Array.isArray(l) && l[0] === 'b.onmessage' ? [l[0], serialize(l[1]), ...l.slice(2)] : l));
      a.close();
      b.close();
      other.close();
      return [String(a), a.name, result];
    });

    record('bc.getterAndToJSON', () => {
      const a = new BroadcastChannel('conf-getter');
      let getterCalls = 0;
      let toJSONCalls = 0;
      const value = {
        get computed() {
          getterCalls++;
          return 'value';
        },
        toJSON() {
          toJSONCalls++;
          return {};
        },
      };
      let threw = null;
      try {
        a.postMessage(value);
      } catch (e) {
        threw = e.name;
      }
      const plain = { get computed() { getterCalls++; return 'v'; } };
      a.postMessage(plain);
      a.close();
      return [threw, getterCalls, toJSONCalls];
    });

    record('bc.errors', () => {
      const a = new BroadcastChannel('conf-errors');
      const out = [];
      for (const bad of [() => {}, Symbol('s'), new Proxy({}, {})]) {
        try {
          a.postMessage(bad);
          out.push('no throw');
        } catch (e) {
          out.push([e.name, e instanceof DOMException]);
        }
      }
      a.close();
      try {
        a.postMessage(1);
        out.push('no throw after close');
      } catch (e) {
        out.push([e.name, e.message]);
      }
      try {
        BroadcastChannel('x');
      } catch (e) {
        out.push([e.name, e.message]);
      }
      a.close(); // closing twice is fine
      return out;
    });

    await recordAsync('bc.listenerThrows', async () => {
      const errorsBefore = errorsSeen.length;
      const a = new BroadcastChannel('conf-throw');
      const b = new BroadcastChannel('conf-throw');
      const log = [];
      b.addEventListener('message', () => {
        throw new Error('bc-boom');
      });
      b.addEventListener('message', (e) => log.push(e.data));
      a.postMessage('x');
      await until(() => log.length === 1);
      a.close();
      b.close();
      return [log, errorsSeen.slice(errorsBefore)];
    });
  }

  function serialize(v) {
    if (v instanceof Map) return ['Map', [...v]];
    if (v instanceof Set) return ['Set', [...v]];
    if (v instanceof Date) return ['Date', v.getTime()];
    if (ArrayBuffer.isView(v)) return [v.constructor.name, [...v]];
    if (Array.isArray(v)) return v.map(serialize);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, serialize(x)]));
    return v;
  }

  // -------------------------------------------------------------- Web Locks
  async function lockChecks() {
    await recordAsync('locks.grantOrder', async () => {
      const log = [];
      const release = [];
      const requests = [1, 2, 3].map((n) =>
        navigator.locks.request('conf-A', function (lock) {
          'use strict';
          log.push([n, lock.name, lock.mode, this === undefined, arguments.length, String(lock)]);
          return new Promise((r) => release.push(() => r(`done ${n}`)));
        }),
      );
      await until(() => log.length === 1);
      const query = await navigator.locks.query();
      const mine = (list) => list.filter((l) => l.name.startsWith('conf-')).map((l) => [l.name, l.mode]);
      const snapshot = [mine(query.held), mine(query.pending)];
      while (log.length < 3) {
        release.shift()();
        await until(() => release.length > 0 || log.length === 3, 2000);
      }
      release.shift()();
      return [log, snapshot, await Promise.all(requests)];
    });

    await recordAsync('locks.returnValues', async () => {
      const a = await navigator.locks.request('conf-B', () => 42);
      const b = await navigator.locks.request('conf-B', async () => 'async');
      const c = await navigator.locks.request('conf-B', { mode: 'shared' }, (lock) => lock.mode);
      const marker = { marker: true };
      const d = await navigator.locks.request('conf-B', () => marker);
      return [a, b, c, d === marker];
    });

    await recordAsync('locks.throws', async () => {
      const thrown = new Error('lock-boom');
      const out = [];
      try {
        await navigator.locks.request('conf-C', () => {
          throw thrown;
        });
      } catch (e) {
        out.push(e === thrown);
      }
      try {
        await navigator.locks.request('conf-C', async () => {
          throw thrown;
        });
      } catch (e) {
        out.push(e === thrown);
      }
      // The lock was released both times.
      out.push(await navigator.locks.request('conf-C', { ifAvailable: true }, (lock) => lock !== null));
      return out;
    });

    await recordAsync('locks.ifAvailableAndSteal', async () => {
      const log = [];
      let release;
      const holder = navigator.locks.request('conf-D', () => new Promise((r) => (release = r)));
      const holderOutcome = holder.then(
        (v) => ['resolved', v],
        (e) => ['rejected', e.name],
      );
      await until(() => typeof release === 'function');
      log.push(await navigator.locks.request('conf-D', { ifAvailable: true }, (lock) => lock));
      log.push(await navigator.locks.request('conf-D', { steal: true }, (lock) => ['stole', lock.name]));
      log.push(await holderOutcome);
      release('late');
      return log;
    });

    await recordAsync('locks.signal', async () => {
      let release;
      const holder = navigator.locks.request('conf-E', () => new Promise((r) => (release = r)));
      await until(() => typeof release === 'function');
      const ctrl = new AbortController();
      let called = false;
      const waiting = navigator.locks.request('conf-E', { signal: ctrl.signal }, () => {
        called = true;
      });
      ctrl.abort();
      const out = [];
      try {
        await waiting;
        out.push('resolved');
      } catch (e) {
        out.push(e.name);
      }
      const pre = new AbortController();
      pre.abort(new Error('custom reason'));
      try {
        await navigator.locks.request('conf-E2', { signal: pre.signal }, () => 1);
      } catch (e) {
        out.push(e.message);
      }
      release();
      await holder;
      return [...out, called];
    });

    await recordAsync('locks.invalid', async () => {
      const attempts = [
        () => navigator.locks.request('-reserved', () => 1),
        () => navigator.locks.request('conf-F', { steal: true, ifAvailable: true }, () => 1),
        () => navigator.locks.request('conf-F', { steal: true, mode: 'shared' }, () => 1),
        () => navigator.locks.request('conf-F', { steal: true, signal: new AbortController().signal }, () => 1),
        () => navigator.locks.request('conf-F', { mode: 'bogus' }, () => 1),
        () => navigator.locks.request('conf-F'),
        () => navigator.locks.request('conf-F', {}, 'not a function'),
        () => LockManager.prototype.request.call({}, 'conf-F', () => 1),
      ];
      const out = [];
      for (const attempt of attempts) {
        try {
          const p = attempt();
          out.push(['returned', p instanceof Promise]);
          await p;
          out.push('resolved');
        } catch (e) {
          out.push([e.name, e.message]);
        }
      }
      return out;
    });

    await recordAsync('stack.lockCallbackThrows', async () => {
      const out = [];
      try {
        await navigator.locks.request('conf-stack', () => {
          throw new Error('sync in callback');
        });
      } catch (e) {
        out.push(e.stack);
      }
      try {
        await navigator.locks.request('conf-stack', async () => {
          throw new Error('async in callback');
        });
      } catch (e) {
        out.push(e.stack);
      }
      return out;
    });

    await recordAsync('stack.fetchBadUrl', async () => {
      try {
        await fetch('http://[');
        return 'resolved';
      } catch (e) {
        return [e.name, e.stack];
      }
    });

    await recordAsync('locks.unhandledRejection', async () => {
      const before = rejectionsSeen.length;
      navigator.locks.request('conf-G', () => {
        throw new RangeError('nobody catches this');
      });
      await sleep(200);
      return rejectionsSeen.slice(before);
    });

    await recordAsync('locks.microtaskOrder', async () => {
      const order = [];
      let resolveCallback;
      const request = navigator.locks.request('conf-H', () => new Promise((r) => (resolveCallback = r)));
      request.then(() => order.push('request settled'));
      await until(() => typeof resolveCallback === 'function');
      resolveCallback('x');
      let chain = Promise.resolve();
      for (let i = 0; i < 8; i++) chain = chain.then(() => order.push(`tick ${i}`));
      await request;
      await chain;
      return order;
    });
  }

  // ------------------------------------------------------------ fetch streams
  async function readAll(body) {
    const reader = body.getReader();
    const chunks = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const total = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) {
      total.set(c, offset);
      offset += c.length;
    }
    return new TextDecoder().decode(total);
  }

  async function fetchChecks() {
    await recordAsync('fetch.reader', async () => {
      const r = await fetch('/script/basic?conf=reader');
      const facts = [r instanceof Response, r.status, r.ok, r.type, r.url.endsWith('/script/basic?conf=reader'), r.headers.get('content-type'), r.headers.get('x-demo-limit'), r.bodyUsed, r.body instanceof ReadableStream, r.body.locked, r.body === r.body];
      const text = await readAll(r.body);
      return [facts, text, r.bodyUsed];
    });
    await recordAsync('fetch.pipeThrough', async () => {
      const r = await fetch('/script/crlf?conf=pipe');
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return JSON.stringify(text);
    });
    await recordAsync('fetch.forAwait', async () => {
      const r = await fetch('/script/unicode?conf=iterate');
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of r.body) text += decoder.decode(chunk, { stream: true });
      return text + decoder.decode();
    });
    await recordAsync('fetch.text', async () => (await fetch('/script/basic?conf=text')).text());
    await recordAsync('fetch.pageClone', async () => {
      const r = await fetch('/script/unicode?conf=clone');
      const c = r.clone();
      const [x, y] = await Promise.all([r.text(), c.text()]);
      return [x === y, x.length];
    });
    await recordAsync('fetch.byob', async () => {
      const r = await fetch('/script/basic?conf=byob');
      const reader = r.body.getReader({ mode: 'byob' });
      let size = 0;
      for (;;) {
        const { value, done } = await reader.read(new Uint8Array(64));
        if (done) break;
        size += value.byteLength;
      }
      return size;
    });
    await recordAsync('fetch.request', async () => {
      const r = await fetch(new Request('/script/unicode?conf=request', { method: 'POST', body: 'x' }));
      return [r.status, (await r.text()).length];
    });
    await recordAsync('fetch.json', async () => {
      const r = await fetch('/open-streams');
      return [r.headers.get('content-type'), typeof (await r.json()).open];
    });
    await recordAsync('fetch.networkError', async () => {
      try {
        await fetch('http://127.0.0.1:1/nothing');
        return 'resolved';
      } catch (e) {
        return [e.name, e.message, e instanceof TypeError];
      }
    });
    await recordAsync('fetch.unhandledRejection', async () => {
      const seen = [];
      const onRejection = (e) => seen.push([e.promise === p, e.reason && e.reason.name]);
      window.addEventListener('unhandledrejection', onRejection);
      const p = fetch('http://127.0.0.1:1/ignored');
      await sleep(400);
      window.removeEventListener('unhandledrejection', onRejection);
      return seen;
    });
    await recordAsync('fetch.readerCancelCloses', async () => {
      const r = await fetch('/hold?conf=reader-cancel');
      const reader = r.body.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      return [first, await untilNoOpenStreams('reader-cancel')];
    });
    await recordAsync('fetch.bodyCancelCloses', async () => {
      const r = await fetch('/hold?conf=body-cancel');
      await r.body.cancel();
      return [r.bodyUsed, await untilNoOpenStreams('body-cancel')];
    });
    await recordAsync('fetch.breakCloses', async () => {
      const r = await fetch('/hold?conf=break');
      let chunks = 0;
      for await (const chunk of r.body) {
        chunks += chunk.length > 0 ? 1 : 0;
        break;
      }
      return [chunks, await untilNoOpenStreams('break')];
    });
    await recordAsync('fetch.abortCloses', async () => {
      const ctrl = new AbortController();
      const r = await fetch('/hold?conf=abort', { signal: ctrl.signal });
      const reader = r.body.getReader();
      await reader.read();
      ctrl.abort();
      let outcome;
      try {
        await reader.read();
        outcome = 'resolved';
      } catch (e) {
        outcome = e.name;
      }
      return [outcome, await untilNoOpenStreams('abort')];
    });
  }

  window.conformance = (async () => {
    await eventSourceChecks();
    await patchedBuiltinChecks();
    await broadcastChannelChecks();
    await lockChecks();
    await fetchChecks();
    await sleep(50);
    results['quiet.windowMessages'] = windowMessages;
    results['quiet.domMutations'] = mutations;
    // Every own property of window but the hook (the one intended difference, checked by the spec).
    results['quiet.globals'] = Object.getOwnPropertyNames(window).filter((k) => k !== '__SSE_DEVTOOLS_HOOK__').sort();
    results['quiet.symbols'] = Object.getOwnPropertySymbols(window).map(String);
    return results;
  })();
})();
