/**
 * Messages on the `chat-<projectId>` BroadcastChannel. Every message names its sender tab.
 * 'sse-message' and 'leader-status' keep the seed's names so its users recognise them.
 */
import type { StreamState } from './types.js';

export type LeaderStatus = 'connected' | 'connecting' | 'backoff' | 'disconnected';

export type ChannelMessage =
  | {
      type: 'sse-message';
      from: string;
      /** parsed JSON data (the seed's field) */
      data: unknown;
      /** raw data text */
      raw: string;
      id?: string;
      event: string;
      /** id of the message the leader relayed just before this one: a follower whose last id differs missed something */
      prevId?: string;
      timestamp: number;
    }
  | {
      type: 'leader-status';
      from: string;
      status: LeaderStatus;
      timestamp: number;
      lastEventId?: string;
      retryAt?: number;
      reason?: string;
    }
  | { type: 'heartbeat'; from: string; state: StreamState; timestamp: number; lastEventId?: string }
  | { type: 'hello'; from: string }
  | { type: 'ping'; from: string; nonce: string }
  | { type: 'pong'; from: string; nonce: string }
  | { type: 'resync'; from: string; after?: string }
  | { type: 'resync-reply'; from: string; to: string; messages: Array<{ id: string; event: string; raw: string }> }
  /** a follower tells a new leader that knows no event id where the stream should resume */
  | { type: 'resume'; from: string; to: string; lastEventId: string };

const TYPES = new Set(['sse-message', 'leader-status', 'heartbeat', 'hello', 'ping', 'pong', 'resync', 'resync-reply', 'resume']);

/** Cheap structural check: anything else on the channel (other apps, other versions) is ignored. */
export function isChannelMessage(v: unknown): v is ChannelMessage {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r['type'] === 'string' && TYPES.has(r['type']) && typeof r['from'] === 'string';
}

export function channelName(projectId: string): string {
  return `chat-${projectId}`;
}

export function lockName(projectId: string): string {
  return `sse-${projectId}`;
}
