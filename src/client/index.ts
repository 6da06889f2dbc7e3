/**
 * Reference SSE connection manager (see docs/client.md).
 *
 *   const chat = new PersistentChatConnection(projectId, (data, meta) => render(data));
 *   await chat.connect();
 *   chat.getConnectionInfo(); // { mode: 'leader' | 'follower' | 'disconnected', role, connected, ... }
 *
 * One tab per browser (the holder of Web Lock `sse-<projectId>`) opens the stream and relays
 * it on BroadcastChannel `chat-<projectId>`; the others follow.
 */
export { connectToSSE } from './connect.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { PersistentChatConnection } from './connection.js';
export type { ConnectionInfo, LifecycleTarget, PersistentChatOptions } from './connection.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { parseRetryAfter } from './retry-after.js';
export { channelName, lockName } from './protocol.js';
export type { ChannelMessage, LeaderStatus } from './protocol.js';
export { ConnectionBanner } from './banner.js';
export type { SseDevtoolsHook } from './hook.js';
export type {
  ConnectOptions,
  ElectionKind,
  MessageHandler,
  MessageMeta,
  Mode,
  Role,
  SSEConnectionResult,
  StreamHandle,
  StreamMessage,
  StreamState,
  TransportKind,
} from './types.js';
export { messagesUrl, streamUrl } from './url.js';
