/** Remembers the last `capacity` ids (FIFO eviction). */
export class BoundedIdSet {
  private readonly set = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.set.has(id);
  }

  /** Returns false when the id was already present. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    if (this.set.size > this.capacity) {
      const oldest = this.set.values().next();
      if (!oldest.done) this.set.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.set.size;
  }
}

export interface RecentEntry {
  id: string;
  event: string;
  data: string;
}

/** The last messages this tab delivered, in stream order, to answer a follower's resync. */
export class RecentMessages {
  private readonly items: RecentEntry[] = [];
  constructor(private readonly capacity: number) {}

  push(e: RecentEntry): void {
    this.items.push(e);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Entries after `id`; everything kept when `id` is unknown or undefined. */
  after(id: string | undefined): RecentEntry[] {
    if (id === undefined) return [...this.items];
    for (let i = this.items.length - 1; i >= 0; i -= 1) {
      if (this.items[i]?.id === id) return this.items.slice(i + 1);
    }
    return [...this.items];
  }
}
