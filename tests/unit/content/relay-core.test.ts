import { describe, expect, it } from 'vitest';
import { createRelay, type PortLike } from '../../../src/content/relay-core';
import { encodeBatch, encodeEvent } from '../../../src/content/encode';
import { LIMITS, PAGE_SOURCE, parseRelayMessage, type PageEvent } from '../../../src/shared/protocol';

class FakePort implements PortLike {
  sent: unknown[] = [];
  private messageListeners: ((m: unknown) => void)[] = [];
  private disconnectListeners: (() => void)[] = [];
  broken = false;
  onMessage = { addListener: (l: (m: unknown) => void) => void this.messageListeners.push(l) };
  onDisconnect = { addListener: (l: () => void) => void this.disconnectListeners.push(l) };
  postMessage(m: unknown): void {
    if (this.broken) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(structuredClone(m));
  }
  disconnect(): void {}
  /** The worker side speaks. */
  deliver(m: unknown): void {
    for (const l of this.messageListeners) l(m);
  }
  /** The worker went away. */
  drop(): void {
    this.broken = true;
    for (const l of this.disconnectListeners) l();
  }
}

const ev = (n: number): PageEvent => ({ kind: 'es:open', t: n, id: n });
const batch = (...events: PageEvent[]) => encodeBatch(events.map(encodeEvent).join(','), events.length, 0);
/** What the worker makes of the messages a port carried (batches travel unparsed). */
const seen = (port: FakePort | undefined) => (port?.sent ?? []).map((m) => ((m as { kind?: string }).kind === 'relay:batch' ? parseRelayMessage(m) : m));

function setup(options: { maxBuffered?: number; connectFails?: number; loadSettings?: () => Promise<unknown> } = {}) {
  const ports: FakePort[] = [];
  const toPage: string[] = [];
  const timers: (() => void)[] = [];
  let failures = options.connectFails ?? 0;
  const relay = createRelay({
    connect: () => {
      if (failures > 0) {
        failures--;
        throw new Error('Extension context invalidated.');
      }
      const p = new FakePort();
      ports.push(p);
      return p;
    },
    docId: 'doc-1',
    url: () => 'http://page/',
    title: () => 'Page',
    toPage: (json) => toPage.push(json),
    setTimer: (fn) => timers.push(fn),
    ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
    ...(options.loadSettings ? { loadSettings: options.loadSettings } : {}),
  });
  const fire = () => {
    while (timers.length) timers.shift()?.();
  };
  return { relay, ports, toPage, fire };
}

describe('relay', () => {
  it('announces itself to the page with the default config and answers pings without waking the worker', () => {
    const { relay, ports, toPage } = setup();
    expect(toPage.map((j) => JSON.parse(j))).toEqual([{ kind: 'config', previewBytes: LIMITS.defaultPreview }]);
    relay.fromPage(encodeBatch('', 0, 0));
    expect(toPage).toHaveLength(2);
    expect(ports).toHaveLength(0);
  });

  it('rejects anything that is not a valid page batch', () => {
    const { relay, ports } = setup();
    for (const bad of [
      42,
      null,
      'not json',
      JSON.stringify({ source: 'other', v: 1, events: [ev(1)], dropped: 0 }),
      JSON.stringify({ source: PAGE_SOURCE, v: 99, events: [ev(1)], dropped: 0 }),
      JSON.stringify({ source: PAGE_SOURCE, v: 1, events: 'x', dropped: 0 }),
      'x'.repeat(LIMITS.maxBatchChars + 1),
    ]) {
      relay.fromPage(bad);
    }
    expect(relay.stats.rejected).toBe(7);
    expect(ports).toHaveLength(0);
  });

  it('forwards hello first, then numbered batches, unparsed; the worker counts invalid events', () => {
    const { relay, ports } = setup();
    const first = encodeBatch(`${encodeEvent(ev(1))},{"kind":"bogus"}`, 2, 3);
    relay.fromPage(first);
    relay.fromPage(batch(ev(2)));
    const [port] = ports;
    expect(port?.sent[1]).toEqual({ kind: 'relay:batch', docId: 'doc-1', seq: 1, body: first, dropped: 0 });
    expect(seen(port)).toEqual([
      { kind: 'relay:hello', v: 1, docId: 'doc-1', url: 'http://page/', title: 'Page' },
      { kind: 'relay:batch', docId: 'doc-1', seq: 1, events: [ev(1)], invalid: 1, dropped: 3 },
      { kind: 'relay:batch', docId: 'doc-1', seq: 2, events: [ev(2)], invalid: 0, dropped: 0 },
    ]);
  });

  it('passes a valid config from the worker to the page, and ignores invalid ones', () => {
    const { relay, ports, toPage } = setup();
    relay.fromPage(batch(ev(1)));
    ports[0]?.deliver({ kind: 'config', previewBytes: 100 });
    ports[0]?.deliver({ kind: 'config', previewBytes: -1 });
    ports[0]?.deliver({ kind: 'config', previewBytes: 1e9 });
    expect(toPage.map((j) => JSON.parse(j))).toEqual([
      { kind: 'config', previewBytes: LIMITS.defaultPreview },
      { kind: 'config', previewBytes: 100 },
    ]);
    relay.fromPage(encodeBatch('', 0, 0)); // a later ping gets the current config
    expect(JSON.parse(toPage.at(-1) as string)).toEqual({ kind: 'config', previewBytes: 100 });
  });

  it('before the worker answers, tells the page the stored settings (message log rate, preview length)', async () => {
    const { toPage } = setup({ loadSettings: async () => ({ messageLogRate: 0, previewBytes: 64, logEntries: 5000 }) });
    await Promise.resolve();
    await Promise.resolve();
    expect(JSON.parse(toPage.at(-1) as string)).toEqual({ kind: 'config', previewBytes: 64, messageLogRate: 0 });
  });

  it('with nothing stored, a bad value stored, or storage failing: the defaults, rate included', async () => {
    for (const loadSettings of [async () => undefined, async () => ({ messageLogRate: -3 }), () => Promise.reject(new Error('no storage'))]) {
      const { toPage } = setup({ loadSettings });
      await new Promise((r) => setTimeout(r, 0));
      expect(JSON.parse(toPage.at(-1) as string)).toEqual({ kind: 'config', previewBytes: LIMITS.defaultPreview, messageLogRate: LIMITS.defaultMessageLogRate });
    }
  });

  it('the worker\'s config wins over stored settings that come late', async () => {
    let release: (v: unknown) => void = () => undefined;
    const { relay, ports, toPage } = setup({ loadSettings: () => new Promise((r) => (release = r)) });
    relay.fromPage(batch(ev(1)));
    ports[0]?.deliver({ kind: 'config', previewBytes: 100, messageLogRate: 50 });
    release({ messageLogRate: 0 });
    await new Promise((r) => setTimeout(r, 0));
    expect(JSON.parse(toPage.at(-1) as string)).toEqual({ kind: 'config', previewBytes: 100, messageLogRate: 50 });
  });

  it('keeps batches until acknowledged and sends them again, after hello, on a new port', () => {
    const { relay, ports, fire } = setup();
    relay.fromPage(batch(ev(1)));
    relay.fromPage(batch(ev(2)));
    ports[0]?.deliver({ kind: 'relay:ack', seq: 1 });
    expect(relay.unacknowledged).toBe(1);
    ports[0]?.drop();
    expect(relay.connected).toBe(false);
    relay.fromPage(batch(ev(3))); // buffered while down
    fire();
    expect(relay.connected).toBe(true);
    expect(seen(ports[1])).toEqual([
      { kind: 'relay:hello', v: 1, docId: 'doc-1', url: 'http://page/', title: 'Page' },
      { kind: 'relay:batch', docId: 'doc-1', seq: 2, events: [ev(2)], invalid: 0, dropped: 0 },
      { kind: 'relay:batch', docId: 'doc-1', seq: 3, events: [ev(3)], invalid: 0, dropped: 0 },
    ]);
    ports[1]?.deliver({ kind: 'relay:ack', seq: 3 });
    expect(relay.unacknowledged).toBe(0);
  });

  it('retries when connect throws (worker or extension gone) and never throws itself', () => {
    const { relay, ports, fire } = setup({ connectFails: 2 });
    expect(() => relay.fromPage(batch(ev(1)))).not.toThrow();
    expect(ports).toHaveLength(0);
    fire();
    fire();
    expect(ports).toHaveLength(1);
    expect(ports[0]?.sent).toHaveLength(2);
  });

  it('bounds its buffer while down: the oldest unsent batches go, counted as dropped', () => {
    const { relay, ports, fire } = setup({ maxBuffered: 3, connectFails: 1 });
    for (let i = 1; i <= 6; i++) relay.fromPage(batch(ev(i)));
    expect(relay.unacknowledged).toBe(3);
    fire();
    const batches = ports[0]?.sent.slice(1) as { seq: number; dropped: number }[];
    expect(batches.map((b) => b.seq)).toEqual([4, 5, 6]);
    expect(batches[0]?.dropped).toBe(3);
    expect(relay.stats.droppedByRelay).toBe(3);
  });

  it('counts the events of a dropped batch from its header, with what the page had dropped before it', () => {
    const { relay, ports, fire } = setup({ maxBuffered: 1, connectFails: 1 });
    relay.fromPage(encodeBatch([ev(1), ev(2)].map(encodeEvent).join(','), 2, 5));
    relay.fromPage(batch(ev(3)));
    fire();
    expect(seen(ports[0]).slice(1)).toEqual([{ kind: 'relay:batch', docId: 'doc-1', seq: 2, events: [ev(3)], invalid: 0, dropped: 7 }]);
    expect(relay.stats.droppedByRelay).toBe(2);
  });

  it('treats a postMessage that throws as a lost port', () => {
    const { relay, ports, fire } = setup();
    relay.fromPage(batch(ev(1)));
    (ports[0] as FakePort).broken = true;
    expect(() => relay.fromPage(batch(ev(2)))).not.toThrow();
    expect(relay.connected).toBe(false);
    fire();
    expect((ports[1]?.sent as { kind: string; seq?: number }[]).map((m) => m.seq ?? m.kind)).toEqual(['relay:hello', 1, 2]);
  });
});

describe('relay after the extension is gone', () => {
  it('stops reconnecting once alive() says the context is gone', () => {
    const timers: (() => void)[] = [];
    let alive = true;
    let connects = 0;
    const relay = createRelay({
      connect: () => {
        connects++;
        throw new Error('Extension context invalidated.');
      },
      docId: 'd',
      url: () => '',
      title: () => '',
      toPage: () => undefined,
      setTimer: (fn) => timers.push(fn),
      alive: () => alive,
    });
    relay.fromPage(batch(ev(1)));
    expect(timers).toHaveLength(1);
    alive = false;
    timers.shift()?.();
    expect(connects).toBe(2);
    expect(timers).toHaveLength(0);
  });
});

describe('relay and the back/forward cache', () => {
  it('lets the port go when the page is cached, stays away, and reconnects with hello and the unacknowledged batches when it is back', () => {
    const { relay, ports, fire } = setup();
    relay.fromPage(batch(ev(1)));
    relay.fromPage(batch(ev(2)));
    ports[0]!.deliver({ kind: 'relay:ack', seq: 1 });
    relay.pageHidden();
    expect(relay.connected).toBe(false);
    // Events while hidden (none normally, but timers may fire on the way in) wait.
    relay.fromPage(batch(ev(3)));
    fire();
    expect(ports).toHaveLength(1);
    relay.pageShown();
    expect(ports).toHaveLength(2);
    expect(ports[1]!.sent.map((m) => (m as { kind: string; seq?: number }).seq ?? (m as { kind: string }).kind)).toEqual(['relay:hello', 2, 3]);
  });
});
