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
  /** Keep entries of live connections from expiring (no-op in memory). */
  refresh(infos: readonly ConnectionInfo[]): Promise<void>;
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
  close(): Promise<void>;
}
