/**
 * The simulated server (the seed's contract) and the network between it and the browser,
 * with EventSource and fetch as the client sees them.
 *
 * Server: per project, a history of messages with increasing ids; at most `limit` streams
 * per user/project (the user's other devices, `external`, count too); over the limit a 429
 * with `Retry-After` (seconds or an HTTP-date), `X-SSE-Connection-Limit`,
 * `X-SSE-Current-Connections` and the seed's JSON body. HEAD tells whether a stream would be
 * admitted. A stream resumes after Last-Event-ID (header first, else ?lastEventId=).
 * Network: one-way latency per message, FIFO per connection; the browser can go offline
 * (requests fail, open streams break); the server can close every stream (restart).
 */
import type { Kernel, SimTabCore } from './kernel.js';

export interface ServerConfig {
  limit: number;
  retryAfterSec: number;
  /** send Retry-After as an HTTP-date instead of seconds */
  retryAfterAsDate: boolean;
}

/** What the checker wants to know about the server's answers. */
export interface ServerObserver {
  /** a stream request (GET) left tab `tab` */
  onStreamRequest(tab: SimTabCore): void;
  /** the server told `tab` to come back after `deadline` (absolute), or (undefined) that it would admit it now */
  onAnswer(tab: SimTabCore, deadline: number | undefined, method: 'GET' | 'HEAD'): void;
  /** a stream was admitted; it replays after `lastEventId` (undefined: a fresh start at `lastId`) */
  onAccept(tab: SimTabCore, lastEventId: number | undefined, lastId: number): void;
}

interface ServerConn {
  id: number;
  tab: SimTabCore;
  /** server-side view: open until the server notices the close */
  open: boolean;
  /** the browser side: events for the client (FIFO) */
  toClient: (ev: ConnEvent) => void;
  lastDue: number;
}

type ConnEvent = { k: 'msg'; id: number; data: string } | { k: 'end' } | { k: 'broken' };

export class SimServer {
  readonly history: Array<{ id: number; data: string }> = [];
  private readonly conns = new Map<number, ServerConn>();
  private nextConn = 1;
  external = 0;
  private outages = 0;
  get online(): boolean {
    return this.outages === 0;
  }
  refusals = 0;
  accepts = 0;

  constructor(
    readonly kernel: Kernel,
    readonly cfg: ServerConfig,
    private readonly latency: () => number,
    readonly observer: ServerObserver,
    private readonly log: (msg: string) => void,
  ) {}

  get lastId(): number {
    return this.history.length;
  }

  /** server-side open streams (of this browser) */
  openConns(): ServerConn[] {
    return [...this.conns.values()].filter((c) => c.open);
  }

  count(): number {
    return this.openConns().length + this.external;
  }

  setExternal(n: number): void {
    this.external = Math.max(0, Math.min(n, this.cfg.limit - this.openConns().length));
  }

  publish(): void {
    const id = this.history.length + 1;
    const data = JSON.stringify({ n: id });
    this.history.push({ id, data });
    for (const c of this.conns.values()) if (c.open) this.send(c, { k: 'msg', id, data });
  }

  private send(c: ServerConn, ev: ConnEvent): void {
    const at = Math.max(this.kernel.now + this.latency(), c.lastDue);
    c.lastDue = at;
    c.tab.post(at - this.kernel.now, () => c.toClient(ev));
  }

  private refusalHeaders(): Record<string, string> {
    const ra = this.cfg.retryAfterSec;
    const retryAfter = this.cfg.retryAfterAsDate ? new Date(Math.ceil((this.kernel.now + ra * 1000) / 1000) * 1000).toUTCString() : String(ra);
    return { 'Retry-After': retryAfter, 'X-SSE-Connection-Limit': String(this.cfg.limit), 'X-SSE-Current-Connections': String(this.count()) };
  }

  refusalBody(): string {
    const ra = this.cfg.retryAfterSec;
    return JSON.stringify({
      error: 'too_many_connections',
      message: `SSE connection limit exceeded. Maximum ${this.cfg.limit} connections allowed per user/project.`,
      current_connections: this.count(),
      max_connections: this.cfg.limit,
      retry_after_ms: ra * 1000,
      recommendation: 'Close other chat windows or switch this tab to follower mode',
    });
  }

  private refuse(tab: SimTabCore, method: 'GET' | 'HEAD', told = true): Record<string, string> {
    this.refusals += 1;
    if (told) this.observer.onAnswer(tab, this.kernel.now + this.cfg.retryAfterSec * 1000, method);
    this.log(`server 429 to ${tab.id} (count ${this.count()}/${this.cfg.limit}, Retry-After ${this.cfg.retryAfterSec}s)`);
    return this.refusalHeaders();
  }

  /**
   * A HEAD from `tab`: `answer` gets the status and headers after a round trip, or null when
   * the request failed (offline).
   */
  head(tab: SimTabCore, answer: (r: { status: number; headers: Record<string, string> } | null) => void): void {
    if (!this.online) {
      tab.post(1, () => answer(null));
      return;
    }
    this.kernel.later(this.latency(), () => {
      if (tab.state === 'gone') return;
      const full = this.count() >= this.cfg.limit;
      let r: { status: number; headers: Record<string, string> };
      if (full) r = { status: 429, headers: this.refuse(tab, 'HEAD') };
      else {
        this.observer.onAnswer(tab, undefined, 'HEAD');
        r = { status: 200, headers: { 'X-SSE-Connection-Limit': String(this.cfg.limit), 'X-SSE-Current-Connections': String(this.count()) } };
      }
      tab.post(this.latency(), () => answer(r));
    });
  }

  /**
   * A stream request (GET) from `tab`. `onResponse` gets null (network error), a refusal, or
   * an accepted stream whose events go to `onEvent`. Returns a function that closes it from
   * the client side.
   */
  stream(
    tab: SimTabCore,
    lastEventId: string | undefined,
    onResponse: (r: null | { status: 429; headers: Record<string, string>; body: string } | { status: 200 }) => void,
    onEvent: (ev: ConnEvent) => void,
  ): () => void {
    this.observer.onStreamRequest(tab);
    let conn: ServerConn | undefined;
    let cancelled = false;
    if (!this.online) {
      tab.post(1, () => onResponse(null));
      return () => undefined;
    }
    const sentOnline = true;
    this.kernel.later(this.latency(), () => {
      if (tab.state === 'gone') return; // the OS reset the tab's socket: nothing reaches the server
      if (cancelled || !sentOnline || !this.online) {
        if (!cancelled) tab.post(1, () => onResponse(null));
        return;
      }
      if (this.count() >= this.cfg.limit) {
        const headers = this.refuse(tab, 'GET', false);
        const body = this.refusalBody();
        const deadline = this.kernel.now + this.cfg.retryAfterSec * 1000;
        tab.post(this.latency(), () => {
          // given to the tab only if it still waited for the answer (not if it had closed the
          // EventSource or aborted the fetch meanwhile)
          if (!cancelled) this.observer.onAnswer(tab, deadline, 'GET');
          onResponse({ status: 429, headers, body });
        });
        return;
      }
      this.accepts += 1;
      const resumeFrom = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : undefined;
      this.observer.onAccept(tab, resumeFrom, this.lastId);
      const c: ServerConn = { id: this.nextConn++, tab, open: true, toClient: onEvent, lastDue: 0 };
      conn = c;
      this.conns.set(c.id, c);
      this.log(`server accepts stream #${c.id} from ${tab.id} (Last-Event-ID ${lastEventId ?? '-'}, count ${this.count()}/${this.cfg.limit})`);
      const at = this.kernel.now + this.latency();
      c.lastDue = at;
      tab.post(at - this.kernel.now, () => onResponse({ status: 200 }));
      const after = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Math.min(Number(lastEventId), this.lastId) : this.lastId;
      for (const m of this.history.slice(after)) this.send(c, { k: 'msg', id: m.id, data: m.data });
    });
    return () => {
      cancelled = true;
      const c = conn;
      if (!c || !c.open) return;
      this.kernel.later(this.latency(), () => this.serverClose(c, 'closed by client'));
    };
  }

  private serverClose(c: ServerConn, why: string): void {
    if (!c.open) return;
    c.open = false;
    this.conns.delete(c.id);
    this.log(`server: stream #${c.id} of ${c.tab.id} ${why}`);
  }

  /** The tab is gone: the OS closes its sockets. */
  closeTab(tab: SimTabCore): void {
    for (const c of this.conns.values()) if (c.tab === tab) this.kernel.later(this.latency(), () => this.serverClose(c, 'closed (tab gone)'));
  }

  /** The browser loses the network for `ms`: open streams break at both ends. */
  goOffline(ms: number): void {
    this.outages += 1;
    for (const c of [...this.conns.values()]) {
      if (!c.open) continue;
      c.tab.post(1, () => c.toClient({ k: 'broken' }));
      this.kernel.later(this.latency(), () => this.serverClose(c, 'broken (network)'));
    }
    this.kernel.later(ms, () => {
      this.outages = Math.max(0, this.outages - 1);
    });
  }

  /** The network is back, whatever outages were scheduled. */
  backOnline(): void {
    this.outages = 0;
  }

  /** The server restarts: every stream ends. */
  restart(): void {
    for (const c of [...this.conns.values()]) {
      if (!c.open) continue;
      this.send(c, { k: 'end' });
      this.serverClose(c, 'ended by server restart');
    }
  }

  /** Which tabs hold server-side streams, with counts. */
  holders(): Map<SimTabCore, number> {
    const m = new Map<SimTabCore, number>();
    for (const c of this.conns.values()) if (c.open) m.set(c.tab, (m.get(c.tab) ?? 0) + 1);
    return m;
  }
}

/** EventSource as the spec and Chrome behave, on the simulated network. */
export function eventSourceFor(tab: SimTabCore, server: SimServer, reconnectMs = 3000): typeof EventSource {
  class SimEventSource extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSED = 2;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSED = 2;
    readyState = 0;
    readonly url: string;
    readonly withCredentials: boolean;
    private lastEventIdBuffer = '';
    private closeConn: (() => void) | undefined;
    private attempt = 0;
    onopen = null;
    onmessage = null;
    onerror = null;

    constructor(url: string, init?: EventSourceInit) {
      super();
      this.url = url;
      this.withCredentials = init?.withCredentials ?? false;
      this.connect();
    }

    private connect(): void {
      const attempt = ++this.attempt;
      const param = new URL(this.url, 'http://sim').searchParams.get('lastEventId') ?? undefined;
      const lastEventId = this.lastEventIdBuffer !== '' ? this.lastEventIdBuffer : param;
      this.closeConn = server.stream(
        tab,
        lastEventId,
        (r) => {
          if (attempt !== this.attempt || this.readyState === 2) return;
          if (r === null) return this.reestablish();
          if (r.status !== 200) {
            // non-200: the browser fails the connection for good (and the page never sees the status)
            this.readyState = 2;
            this.dispatchEvent(new Event('error'));
            return;
          }
          this.readyState = 1;
          this.dispatchEvent(new Event('open'));
        },
        (ev) => {
          if (attempt !== this.attempt || this.readyState === 2) return;
          if (ev.k === 'msg') {
            this.lastEventIdBuffer = String(ev.id);
            this.dispatchEvent(new MessageEvent('message', { data: ev.data, lastEventId: this.lastEventIdBuffer }));
          } else this.reestablish();
        },
      );
    }

    private reestablish(): void {
      this.closeConn?.();
      this.closeConn = undefined;
      this.attempt += 1;
      this.readyState = 0;
      this.dispatchEvent(new Event('error'));
      const attempt = this.attempt;
      tab.post(reconnectMs, () => {
        if (attempt !== this.attempt || this.readyState !== 0) return;
        this.connect();
      });
    }

    close(): void {
      this.readyState = 2;
      this.attempt += 1;
      this.closeConn?.();
      this.closeConn = undefined;
    }
  }
  return SimEventSource as unknown as typeof EventSource;
}

/** fetch on the simulated network: HEAD probes and streaming GETs (Last-Event-ID header). */
export function fetchFor(tab: SimTabCore, server: SimServer): (input: string, init?: RequestInit) => Promise<Response> {
  const enc = new TextEncoder();
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined;
      const abortErr = (): Error => {
        const e = new Error('The operation was aborted.');
        e.name = 'AbortError';
        return e;
      };
      if (signal?.aborted) return reject(abortErr());
      let settled = false;
      if ((init?.method ?? 'GET') === 'HEAD') {
        signal?.addEventListener('abort', () => {
          if (!settled) {
            settled = true;
            reject(abortErr());
          }
        });
        server.head(tab, (r) => {
          if (settled) return;
          settled = true;
          if (r === null) reject(new TypeError('Failed to fetch'));
          else resolve(new Response(null, { status: r.status, headers: r.headers }));
        });
        return;
      }
      const headers = new Headers(init?.headers);
      const lastEventId = headers.get('Last-Event-ID') ?? undefined;
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let bodyDone = false;
      let early: { k: 'end' | 'broken' } | undefined;
      const endBody = (err?: Error): void => {
        if (bodyDone || !controller) return;
        bodyDone = true;
        if (err) controller.error(err);
        else controller.close();
      };
      const close = server.stream(
        tab,
        lastEventId,
        (r) => {
          if (settled) return;
          settled = true;
          if (r === null) return reject(new TypeError('Failed to fetch'));
          if (r.status === 429) {
            resolve(new Response(r.body, { status: 429, headers: { ...r.headers, 'Content-Type': 'application/json' } }));
            return;
          }
          const body = new ReadableStream<Uint8Array>({
            start(c) {
              controller = c;
            },
          });
          resolve(new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }));
          // the connection broke before the response got here: the body fails at once
          if (early) endBody(early.k === 'end' ? undefined : new TypeError('network error'));
        },
        (ev) => {
          if (!controller) {
            if (ev.k !== 'msg') early = ev;
            return;
          }
          if (bodyDone) return;
          if (ev.k === 'msg') controller.enqueue(enc.encode(`id: ${ev.id}\ndata: ${ev.data}\n\n`));
          else if (ev.k === 'end') endBody();
          else endBody(new TypeError('network error'));
        },
      );
      signal?.addEventListener('abort', () => {
        close();
        if (!settled) {
          settled = true;
          reject(abortErr());
        }
        endBody(abortErr());
      });
    });
}
