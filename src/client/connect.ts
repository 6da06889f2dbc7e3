import { connectWithEventSource } from './transports/eventsource.js';
import { connectWithFetch } from './transports/fetch.js';
import type { ConnectOptions, SSEConnectionResult } from './types.js';

/**
 * Opens the project's stream once. 'leader' = open (this caller now holds a server
 * connection), 'follower' = refused with 429 (retryAfterMs says when to try again),
 * 'failed' = anything else. It never retries by itself: retrying is the leader's job.
 */
export function connectToSSE(projectId: string, options: ConnectOptions = {}): Promise<SSEConnectionResult> {
  return options.transport === 'fetch' ? connectWithFetch(projectId, options) : connectWithEventSource(projectId, options);
}
