import type { AdmitResult, ChatMessage, ConnectionInfo, LimitStore, MessageBus } from './store-types.js';
import { ProjectListeners } from './listeners.js';

/** Limits kept in this process. Node runs one request handler at a time, so admit is atomic. */
export class MemoryLimitStore implements LimitStore {
  private readonly byKey = new Map<string, Map<string, ConnectionInfo>>();

  private key(userId: string, projectId: string): string {
    return `${userId}\u0000${projectId}`;
  }

  admit(info: ConnectionInfo, limit: number): Promise<AdmitResult> {
    const k = this.key(info.userId, info.projectId);
    let set = this.byKey.get(k);
    if (!set) {
      set = new Map();
      this.byKey.set(k, set);
    }
    if (set.size >= limit) return Promise.resolve({ admitted: false, count: set.size });
    set.set(info.id, info);
    return Promise.resolve({ admitted: true, count: set.size });
  }

  release(info: ConnectionInfo): Promise<void> {
    const k = this.key(info.userId, info.projectId);
    const set = this.byKey.get(k);
    if (set) {
      set.delete(info.id);
      if (set.size === 0) this.byKey.delete(k);
    }
    return Promise.resolve();
  }

  refresh(): Promise<string[]> {
    return Promise.resolve([]);
  }

  assertAdmitting(): Promise<void> {
    return Promise.resolve();
  }

  count(userId: string, projectId: string): Promise<number> {
    return Promise.resolve(this.byKey.get(this.key(userId, projectId))?.size ?? 0);
  }

  list(userId: string, projectId: string): Promise<ConnectionInfo[]> {
    return Promise.resolve([...(this.byKey.get(this.key(userId, projectId))?.values() ?? [])]);
  }

  close(): Promise<void> {
    this.byKey.clear();
    return Promise.resolve();
  }
}

/** Per-project sequence, bounded history and fan-out inside this process. */
export class MemoryMessageBus implements MessageBus {
  private readonly seq = new Map<string, number>();
  private readonly history = new Map<string, ChatMessage[]>();
  private readonly listeners = new ProjectListeners();

  constructor(private readonly historySize: number) {}

  publish(projectId: string, data: string): Promise<ChatMessage> {
    const id = (this.seq.get(projectId) ?? 0) + 1;
    this.seq.set(projectId, id);
    const msg: ChatMessage = { id, projectId, data };
    const h = this.history.get(projectId) ?? [];
    h.push(msg);
    if (h.length > this.historySize) h.splice(0, h.length - this.historySize);
    this.history.set(projectId, h);
    this.listeners.emit(projectId, msg);
    return Promise.resolve(msg);
  }

  since(projectId: string, afterId: number): Promise<ChatMessage[]> {
    return Promise.resolve((this.history.get(projectId) ?? []).filter((m) => m.id > afterId));
  }

  lastId(projectId: string): Promise<number> {
    return Promise.resolve(this.seq.get(projectId) ?? 0);
  }

  subscribe(projectId: string, listener: (msg: ChatMessage) => void): () => void {
    return this.listeners.add(projectId, listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}
