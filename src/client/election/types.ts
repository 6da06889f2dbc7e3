/** Minimal views of the browser APIs the elections use, so tests can pass fakes. */

export interface LockRequestOptions {
  ifAvailable?: boolean;
  steal?: boolean;
  signal?: AbortSignal;
}

export interface LockManagerLike {
  request(name: string, options: LockRequestOptions, callback: (lock: unknown) => unknown): Promise<unknown>;
}

export interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
}

export type ChannelCtor = new (name: string) => ChannelLike;

export interface ElectionCallbacks {
  /** this tab now leads */
  onElected(): void;
  /** this tab led and no longer does (stolen, duplicate resolved, stopped) */
  onDeposed(reason: string): void;
  /** this tab learnt that another tab leads (or that it waits in line) */
  onFollower(): void;
}

export interface Election {
  readonly kind: 'locks' | 'broadcast';
  readonly isLeader: boolean;
  /** start contending (again after stop) */
  start(): void;
  /** stop contending and release leadership; no callback */
  stop(): void;
  /** follower watchdog decided the leader is dead: take over if nobody else does */
  takeOver(): void;
}
