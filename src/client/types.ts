/** Public types of the reference SSE connection manager. */

export type Role = 'leader' | 'follower' | 'standalone';
export type Mode = 'leader' | 'follower' | 'disconnected';
export type TransportKind = 'eventsource' | 'fetch';
export type ElectionKind = 'locks' | 'broadcast' | 'none';
export type StreamState = 'idle' | 'connecting' | 'open' | 'backoff';

/** One event of the stream, as the leader received it. */
export interface StreamMessage {
  id?: string;
  /** event type, 'message' for unnamed events */
  event: string;
  data: string;
}

/** Metadata passed to message handlers next to the parsed data. */
export interface MessageMeta {
  id?: string;
  event: string;
  /** 'stream' when this tab read it from the server, 'relay' when another tab relayed it */
  via: 'stream' | 'relay';
}

export type MessageHandler = (data: unknown, meta: MessageMeta) => void;

/** Why an open stream stopped. `fatal` = the transport will not reconnect by itself. */
export interface StreamFailure {
  fatal: boolean;
  reason: string;
  /** what the server asked for when it refused (learnt by a probe on EventSource) */
  retryAfterMs?: number;
}

export interface StreamHandlers {
  onMessage(msg: StreamMessage): void;
  onError(failure: StreamFailure): void;
  /** the transport reconnected by itself (EventSource) */
  onReopen?(): void;
}

/** An open stream, whatever the transport. Events are buffered until start(). */
export interface StreamHandle {
  readonly transport: TransportKind;
  start(handlers: StreamHandlers): void;
  close(): void;
  isOpen(): boolean;
}

/** The seed's result shape, extended with what a refusal said. */
export interface SSEConnectionResult {
  mode: 'leader' | 'follower' | 'failed';
  /** set with the EventSource transport when mode is 'leader' */
  eventSource?: EventSource;
  /** set with either transport when mode is 'leader' */
  stream?: StreamHandle;
  reason?: string;
  retryAfterMs?: number;
  /** HTTP status of the refusal, when known */
  status?: number;
  /** X-SSE-Connection-Limit */
  limit?: number;
  /** X-SSE-Current-Connections */
  current?: number;
  /** JSON body of a refusal (fetch transport) */
  body?: unknown;
}

import type { Clock } from './clock.js';

export type EventSourceCtor = new (url: string, init?: EventSourceInit) => EventSource;
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ConnectOptions {
  /** origin (and path prefix) of the server, default '' (same origin) */
  baseUrl?: string;
  transport?: TransportKind;
  /** resume after this id (sent as Last-Event-ID, and as ?lastEventId= for EventSource) */
  lastEventId?: string;
  /** give up waiting for the stream to open, default 10000 */
  timeoutMs?: number;
  /** send cookies cross-origin */
  withCredentials?: boolean;
  /** identify the user by parameter instead of cookie */
  userId?: string;
  /** named event types to receive besides 'message' */
  eventTypes?: readonly string[];
  /** Retry-After to assume when a 429 has none, default 10000 */
  defaultRetryAfterMs?: number;
  EventSource?: EventSourceCtor;
  fetch?: FetchFn;
  /** time and timers, default the page's (tests and the simulation inject a virtual clock) */
  clock?: Clock;
  /** abandons the attempt: a stream still opening is closed (result 'failed') */
  signal?: AbortSignal;
  /** told of every refusal's Retry-After, even one learnt after the attempt was abandoned */
  onRetryAfter?: (ms: number) => void;
}
