/** Listeners of each project's messages, shared by the memory and Redis message buses. */
import type { ChatMessage } from './store-types.js';

export type MessageListener = (msg: ChatMessage) => void;

export class ProjectListeners {
  private readonly byProject = new Map<string, Set<MessageListener>>();

  /** Add a listener; the returned function removes it (and the project's set once empty). */
  add(projectId: string, listener: MessageListener): () => void {
    let set = this.byProject.get(projectId);
    if (!set) {
      set = new Set();
      this.byProject.set(projectId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byProject.get(projectId) === set) this.byProject.delete(projectId);
    };
  }

  /** Call every listener of the project (a copy: a listener may unsubscribe while called). */
  emit(projectId: string, msg: ChatMessage): void {
    for (const l of [...(this.byProject.get(projectId) ?? [])]) l(msg);
  }

  projects(): string[] {
    return [...this.byProject.keys()];
  }

  clear(): void {
    this.byProject.clear();
  }
}
