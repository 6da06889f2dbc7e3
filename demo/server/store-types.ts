/** Storage seams of the demo server: who holds a stream (limits) and what was said (messages). */

export interface ConnectionInfo {
  id: string;
  userId: string;
  projectId: string;
  /** ISO timestamp */
  openedAt: string;
  instanceId: string;
  lastEventId?: string;
  userAgent?: string;
}

export interface AdmitResult {
  admitted: boolean;
  /** connections counted after the decision (including the new one when admitted) */
  count: number;
}

export interface LimitStore {
  /** Atomically admit `info` if fewer than `limit` connections are open for its user and project. */
  admit(info: ConnectionInfo, limit: number): Promise<AdmitResult>;
  release(info: ConnectionInfo): Promise<void>;
  /**
   * Keep the entries of this instance's live connections from expiring (no-op in memory).
   * An entry that is gone (the store lost its data, or this instance stalled past the TTL)
   * is registered again while its user/project is under `limit`; the ids that did not fit
   * are returned, and the caller must close those streams so the limit is never exceeded.
   */
  refresh(infos: readonly ConnectionInfo[], limit: number): Promise<string[]>;
  /** Throws StoreUnavailableError when nothing may be admitted now (Redis away or recovering). */
  assertAdmitting(): Promise<void>;
  count(userId: string, projectId: string): Promise<number>;
  list(userId: string, projectId: string): Promise<ConnectionInfo[]>;
  close(): Promise<void>;
}

export interface ChatMessage {
  /** monotonic per project */
  id: number;
  projectId: string;
  /** JSON text sent as the SSE `data:` field */
  data: string;
}

export interface MessageBus {
  publish(projectId: string, data: string): Promise<ChatMessage>;
  /** Messages of the bounded history with id > afterId, oldest first. */
  since(projectId: string, afterId: number): Promise<ChatMessage[]>;
  subscribe(projectId: string, listener: (msg: ChatMessage) => void): () => void;
  /** The id of the project's last message (0 when none). */
  lastId(projectId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The shared store cannot answer (Redis down or restarting). Requests that need it get
 * 503 with a JSON error and Retry-After; nothing is admitted while the store is away.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly code: 'store_unavailable' | 'store_recovering',
    message: string,
    readonly retryAfterSec: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
