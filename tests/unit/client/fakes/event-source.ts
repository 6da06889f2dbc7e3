/** A fake EventSource driven by the test: open(), message(), refuse() (HTTP error), drop(). */
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];

  readyState = 0;
  readonly url: string;
  readonly withCredentials: boolean;
  closedByClient = false;

  constructor(url: string, init?: EventSourceInit) {
    super();
    this.url = url;
    this.withCredentials = init?.withCredentials ?? false;
    FakeEventSource.instances.push(this);
  }

  static reset(): void {
    FakeEventSource.instances = [];
  }

  static live(): FakeEventSource[] {
    return FakeEventSource.instances.filter((e) => !e.closedByClient && e.readyState !== 2);
  }

  close(): void {
    this.closedByClient = true;
    this.readyState = 2;
  }

  /** The server answered 200 text/event-stream. */
  open(): void {
    if (this.closedByClient) return;
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  message(data: string, id?: string, type = 'message'): void {
    if (this.readyState !== 1) return;
    this.dispatchEvent(new MessageEvent(type, { data, lastEventId: id ?? '' }));
  }

  /** The server refused (e.g. 429): the browser fails the connection for good. */
  refuse(): void {
    if (this.closedByClient) return;
    this.readyState = 2;
    this.dispatchEvent(new Event('error'));
  }

  /** Network drop: the browser will reconnect by itself. */
  drop(): void {
    if (this.closedByClient) return;
    this.readyState = 0;
    this.dispatchEvent(new Event('error'));
  }

  get lastEventIdParam(): string | null {
    return new URL(this.url, 'http://x').searchParams.get('lastEventId');
  }
}
