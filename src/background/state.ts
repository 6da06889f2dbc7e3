/**
 * The worker's model: everything it knows, as plain data that survives a
 * JSON round trip (persisted to storage.session). Maps are used for every
 * table whose keys can come from a page (project keys, names), so that a key
 * like `__proto__` is only ever a key.
 */
import type {
  ConnectionState,
  LogEntry,
  SnapshotRateLimit,
  SnapshotStats,
  Transport,
} from '../shared/protocol';

export interface TabRecord {
  tabId: number;
  url: string;
  title: string;
}

export interface DocRecord {
  docId: string;
  tabId: number;
  frameId: number;
  url: string;
  title: string;
  live: boolean;
  at: number;
  /** Number of the last relay batch applied (duplicates after a reconnect are ignored). */
  lastBatchSeq?: number;
}

/** An HTTP response that belongs to SSE activity, as webRequest saw it. */
export interface NetResponse {
  tabId: number;
  url: string;
  method: string;
  status: number;
  retryAfterMs: number | null;
  limit: number | null;
  current: number | null;
  at: number;
  contentType: string;
}

export interface FailedAttempt {
  at: number;
  status: number;
  retryAfterMs: number | null;
  limit: number | null;
  current: number | null;
}

export interface ConnectionRecord {
  id: string;
  docId: string;
  tabId: number;
  frameId: number;
  url: string;
  projectKey: string | null;
  transport: Transport;
  state: ConnectionState;
  withCredentials: boolean;
  /** GET for an EventSource; the page's method for a fetch stream. Absent in state saved by an older version. */
  method?: string;
  messageCount: number;
  bytes: number;
  lastEventId: string;
  reconnects: number;
  errorCount: number;
  openedAt: number;
  lastOpenAt: number | null;
  closedAt: number | null;
  httpStatus?: number;
  /** The server refused this connection (last refusal). */
  refusal?: FailedAttempt;
  /** Failed attempts, newest last, bounded. */
  attempts: FailedAttempt[];
  /** State before its document went away (it may come back from the back/forward cache). */
  suspended?: ConnectionState;
}

export interface ChannelRecord {
  id: string;
  docId: string;
  tabId: number;
  frameId: number;
  name: string;
  projectKey: string | null;
  posted: number;
  received: number;
  open: boolean;
  at: number;
  /** Open when its document went away (it may come back from the back/forward cache). */
  suspended?: boolean;
}

export interface LockRecord {
  id: string;
  docId: string;
  tabId: number;
  frameId: number;
  name: string;
  projectKey: string | null;
  mode: 'exclusive' | 'shared';
  ifAvailable: boolean;
  steal: boolean;
  state: 'queued' | 'held' | 'released' | 'unavailable' | 'aborted';
  requestedAt: number;
  grantedAt: number | null;
  releasedAt: number | null;
  /** State when its document went away (it may come back from the back/forward cache). */
  suspended?: 'held' | 'queued';
}

export interface DeclaredRole {
  tabId: number;
  /** Document that declared it; while that document is away, the role does not count. */
  docId: string;
  suspended?: boolean;
  projectKey: string;
  role: 'leader' | 'follower' | 'standalone';
  at: number;
}

export interface RetryViolation {
  tabId: number;
  projectKey: string | null;
  url: string;
  at: number;
  /** How much sooner than Retry-After allowed. */
  earlyByMs: number;
}

export interface LeaderSpan {
  tabId: number;
  from: number;
  to: number | null;
}

export interface ProjectMemory {
  /** When the project last had followers and no leader, or null. */
  noLeaderSince: number | null;
  leaderHistory: LeaderSpan[];
}

export interface State {
  tabs: Map<number, TabRecord>;
  docs: Map<string, DocRecord>;
  connections: Map<string, ConnectionRecord>;
  channels: Map<string, ChannelRecord>;
  locks: Map<string, LockRecord>;
  declared: Map<string, DeclaredRole>;
  rateLimits: SnapshotRateLimit[];
  /** Responses not yet matched to a connection (the page event may come later). */
  pendingNet: NetResponse[];
  /** Latest limit the server announced, per project key. */
  serverLimits: Map<string, { limit: number; current: number | null; at: number }>;
  retryViolations: RetryViolation[];
  projects: Map<string, ProjectMemory>;
  stats: SnapshotStats;
  /** Next log sequence number. */
  seq: number;
  log: LogEntry[];
  /** Sum of preview lengths in the log, for the byte bound. */
  logChars: number;
}

export const BOUNDS = {
  /** Log entries kept (oldest evicted first). */
  logEntries: 100_000,
  /** Characters of previews kept in the log. */
  logChars: 16 * 1024 * 1024,
  rateLimits: 500,
  pendingNet: 200,
  /** How long an unmatched response waits for its page event. */
  pendingNetMs: 10_000,
  attemptsPerConnection: 20,
  retryViolations: 200,
  leaderHistory: 50,
  /** Closed connections, channels and locks kept for the views (oldest removed first). */
  closedEntities: 2_000,
} as const;

export function emptyStats(): SnapshotStats {
  return { droppedByPage: 0, invalid: 0, evicted: 0, accepted: 0 };
}

export function emptyState(): State {
  return {
    tabs: new Map(),
    docs: new Map(),
    connections: new Map(),
    channels: new Map(),
    locks: new Map(),
    declared: new Map(),
    rateLimits: [],
    pendingNet: [],
    serverLimits: new Map(),
    retryViolations: [],
    projects: new Map(),
    stats: emptyStats(),
    seq: 1,
    log: [],
    logChars: 0,
  };
}
