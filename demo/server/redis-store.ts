import { createClient, ErrorReply } from 'redis';
import { StoreUnavailableError, type AdmitResult, type ChatMessage, type ConnectionInfo, type LimitStore, type MessageBus } from './store-types.js';
import { ProjectListeners } from './listeners.js';

export interface RedisConnectOptions {
  /** longest wait between reconnect attempts (ms), default 1000 */
  reconnectMaxMs?: number;
  /** a command that gets no answer in this time fails (ms), default 2000 */
  commandTimeoutMs?: number;
  log?: (...args: unknown[]) => void;
}

function newClient(url: string, o: RedisConnectOptions = {}) {
  const maxDelay = o.reconnectMaxMs ?? 1000;
  return createClient({
    url,
    // Fail fast while Redis is away: a command is refused at once (the request gets a 503)
    // instead of waiting in an offline queue that a down Redis would let grow without end.
    disableOfflineQueue: true,
    commandOptions: { timeout: o.commandTimeoutMs ?? 2000 },
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay),
    },
  });
}
export type RedisClient = ReturnType<typeof newClient>;

/** Turns a failure to reach Redis into a StoreUnavailableError (answered 503); a real error reply stays a 500. */
function storeError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (err instanceof ErrorReply && !/^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY)\b/.test(err.message)) return err;
  return new StoreUnavailableError('store_unavailable', 'the shared store (Redis) is unavailable; try again shortly', 1, { cause: err });
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw storeError(err);
  }
}

/*
 * Keys (hash-tagged so a cluster keeps one user/project on one slot):
 *   sse:conns:{u:p}  ZSET  connection id -> expiry (ms, Redis clock)
 *   sse:info:{u:p}   HASH  connection id -> JSON ConnectionInfo
 * An instance refreshes the expiry of its live connections on every heartbeat; a crashed
 * instance stops refreshing, and its entries are pruned by the next admit/count/list.
 */

const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for i = 1, #expired do redis.call('HDEL', KEYS[2], expired[i]) end
end
`;

/** KEYS: conns, info. ARGV: limit, id, json, ttlMs. Returns {admitted 0|1, count}. */
const ADMIT = `${PRUNE}
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[1]) then return {0, count} end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, count + 1}
`;

/**
 * KEYS: conns, info. ARGV: ttlMs, limit, then id, json pairs (oldest first).
 * Extends the entries that exist; registers again the ones that are gone (data lost in a Redis
 * restart, or pruned while this instance stalled past the TTL) while the count is under the
 * limit. Returns the ids that did not fit: their streams must be closed.
 */
const KEEP = `${PRUNE}
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local missing = {}
for i = 3, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
    if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  else
    missing[#missing + 1] = i
  end
end
local evicted = {}
for _, i in ipairs(missing) do
  if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  else
    evicted[#evicted + 1] = ARGV[i]
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return evicted
`;

/**
 * KEYS: hold. ARGV: graceMs. Returns the ms left of the recovery hold (0 = none).
 * The key is created (value 0) when an instance starts; when it is missing, Redis lost its
 * data (a restart without persistence): the first instance to notice holds admissions and
 * publishes for graceMs, the time every live instance needs to reconnect and register its
 * open streams again (KEEP) and to restore the message sequences.
 */
const HOLD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], tostring(now + tonumber(ARGV[1])))
  return tonumber(ARGV[1])
end
local left = tonumber(v) - now
if left > 0 then return left end
return 0
`;

/** KEYS: seq. ARGV: floor. Raises the sequence to at least floor (ids stay monotonic after a restart). */
const SEQ_FLOOR = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if cur < floor then redis.call('SET', KEYS[1], ARGV[1]) return floor end
return cur
`;

/** KEYS: conns, info. Returns the JSON of every live connection. */
const LIST = `${PRUNE}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
`;

/** KEYS: seq, history. ARGV: channel, data, historySize. Returns id. */
const PUBLISH = `
local id = redis.call('INCR', KEYS[1])
local entry = id .. '\\n' .. ARGV[2]
redis.call('RPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PUBLISH', ARGV[1], entry)
return id
`;

function keys(userId: string, projectId: string): [string, string] {
  const tag = `{${userId}:${projectId}}`;
  return [`sse:conns:${tag}`, `sse:info:${tag}`];
}

/**
 * Connects, and logs an outage once (not every reconnect attempt). `onReconnect` runs each
 * time the connection is ready again after it was lost.
 */
export async function connectRedis(url: string, o: RedisConnectOptions & { onReconnect?: () => void } = {}): Promise<RedisClient> {
  const client = newClient(url, o);
  watchOutages(client, 'redis', o);
  await client.connect();
  return client;
}

function watchOutages(client: RedisClient, name: string, o: RedisConnectOptions & { onReconnect?: () => void }): void {
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    console.error(`[demo-server] ${name} unavailable:`, err instanceof Error ? err.message : err);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    console.error(`[demo-server] ${name} reconnected`);
    o.onReconnect?.();
  });
}

export const HOLD_KEY = 'sse:hold';

/** The recovery hold after Redis lost its data (see HOLD). */
export class RedisHold {
  constructor(
    private readonly client: RedisClient,
    readonly graceMs: number,
  ) {}

  /** On start: a fresh Redis (key missing) has nothing to recover, so no hold. */
  async init(): Promise<void> {
    await guard(() => this.client.set(HOLD_KEY, '0', { condition: 'NX' }));
  }

  /** ms left of the hold; creates it when Redis lost its data. */
  async remaining(): Promise<number> {
    return Number(await guard(() => this.client.eval(HOLD, { keys: [HOLD_KEY], arguments: [String(this.graceMs)] })));
  }

  async assertOpen(): Promise<void> {
    const left = await this.remaining();
    if (left > 0) {
      throw new StoreUnavailableError(
        'store_recovering',
        'the shared store (Redis) restarted; open connections are being registered again, try again shortly',
        Math.max(1, Math.ceil(left / 1000)),
      );
    }
  }
}

export class RedisLimitStore implements LimitStore {
  constructor(
    private readonly client: RedisClient,
    private readonly ttlMs: number,
    private readonly hold: RedisHold,
  ) {}

  async admit(info: ConnectionInfo, limit: number): Promise<AdmitResult> {
    await this.hold.assertOpen();
    const reply = (await guard(() =>
      this.client.eval(ADMIT, {
        keys: keys(info.userId, info.projectId),
        arguments: [String(limit), info.id, JSON.stringify(info), String(this.ttlMs)],
      }),
    )) as [number, number];
    return { admitted: reply[0] === 1, count: Number(reply[1]) };
  }

  async release(info: ConnectionInfo): Promise<void> {
    const [conns, infoKey] = keys(info.userId, info.projectId);
    await guard(() => this.client.multi().zRem(conns, info.id).hDel(infoKey, info.id).exec());
  }

  async refresh(infos: readonly ConnectionInfo[], limit: number): Promise<string[]> {
    // notices a Redis that lost its data even when nobody is connecting, and starts the hold
    await this.hold.remaining();
    const groups = new Map<string, { userId: string; projectId: string; args: string[] }>();
    for (const i of infos) {
      const k = `${i.userId}\u0000${i.projectId}`;
      const g = groups.get(k) ?? { userId: i.userId, projectId: i.projectId, args: [] };
      g.args.push(i.id, JSON.stringify(i));
      groups.set(k, g);
    }
    const evicted = await Promise.all(
      [...groups.values()].map(async (g) => {
        const reply = await guard(() =>
          this.client.eval(KEEP, { keys: keys(g.userId, g.projectId), arguments: [String(this.ttlMs), String(limit), ...g.args] }),
        );
        return (reply as unknown[]).map(String);
      }),
    );
    return evicted.flat();
  }

  assertAdmitting(): Promise<void> {
    return this.hold.assertOpen();
  }

  async count(userId: string, projectId: string): Promise<number> {
    return (await this.list(userId, projectId)).length;
  }

  async list(userId: string, projectId: string): Promise<ConnectionInfo[]> {
    const reply = (await guard(() => this.client.eval(LIST, { keys: keys(userId, projectId) }))) as Array<string | null>;
    const out: ConnectionInfo[] = [];
    for (const json of reply) {
      if (typeof json !== 'string') continue;
      try {
        out.push(JSON.parse(json) as ConnectionInfo);
      } catch {
        // a corrupt entry is skipped; it expires with its key
      }
    }
    return out;
  }

  async close(): Promise<void> {
    // the client is owned by the server, which closes it
  }
}

function parseEntry(projectId: string, entry: string): ChatMessage | undefined {
  const nl = entry.indexOf('\n');
  if (nl < 0) return undefined;
  const id = Number(entry.slice(0, nl));
  if (!Number.isSafeInteger(id)) return undefined;
  return { id, projectId, data: entry.slice(nl + 1) };
}

const CATCH_UP_ATTEMPTS = 25;
const CATCH_UP_RETRY_MS = 200;

/**
 * Messages numbered by INCR, kept in a capped list and fanned out with PUBLISH, in one script.
 * Every instance remembers the highest id it saw per project, so that after a Redis restart
 * (sequences lost) it can raise the sequence again: ids stay monotonic, and neither the
 * streams it holds nor the clients' de-duplication drop new messages as already seen.
 */
export class RedisMessageBus implements MessageBus {
  private readonly listeners = new ProjectListeners();
  private readonly highest = new Map<string, number>();
  private constructor(
    private readonly client: RedisClient,
    private readonly sub: RedisClient,
    private readonly historySize: number,
    private readonly hold: RedisHold,
  ) {}

  static async create(client: RedisClient, historySize: number, hold: RedisHold, o: RedisConnectOptions = {}): Promise<RedisMessageBus> {
    const sub = client.duplicate();
    const bus = new RedisMessageBus(client, sub, historySize, hold);
    // the subscriber is back (node-redis subscribed again before 'ready'): fetch what was
    // published while it was away
    watchOutages(sub, 'redis subscriber', { ...o, onReconnect: () => void bus.catchUp(o.log) });
    await sub.connect();
    await sub.pSubscribe('sse:msg:*', (message: string, channel: string) => bus.deliver(channel, message));
    return bus;
  }

  private seen(projectId: string, id: number): void {
    if (id > (this.highest.get(projectId) ?? 0)) this.highest.set(projectId, id);
  }

  /** pub/sub deliveries that arrive while catching up wait here, so that ids stay in order */
  private queued: Array<[channel: string, message: string]> | undefined;

  private deliver(channel: string, message: string): void {
    if (this.queued) {
      this.queued.push([channel, message]);
      return;
    }
    const projectId = channel.slice('sse:msg:'.length);
    const msg = parseEntry(projectId, message);
    if (!msg) return;
    this.emit(msg);
  }

  private emit(msg: ChatMessage): void {
    this.seen(msg.projectId, msg.id);
    this.listeners.emit(msg.projectId, msg);
  }

  /**
   * After the subscriber lost its connection: messages published meanwhile never reached this
   * instance. For every project with live streams here, deliver from the history what came after
   * the highest id seen (streams skip ids they already sent). A project with no id seen yet is
   * skipped (its streams would otherwise get the whole history).
   */
  async catchUp(log: (...args: unknown[]) => void = () => undefined): Promise<void> {
    if (this.queued) return;
    this.queued = [];
    try {
      // the command connection may still be reconnecting: try again for a few seconds
      for (let attempt = 1; attempt <= CATCH_UP_ATTEMPTS && !this.closed; attempt += 1) {
        try {
          for (const projectId of this.listeners.projects()) {
            const after = this.highest.get(projectId);
            if (after === undefined) continue;
            const missed = await this.since(projectId, after);
            if (missed.length) log(`caught up ${missed.length} message(s) of ${projectId} published while the subscriber was away`);
            for (const m of missed) this.emit(m);
          }
          break;
        } catch (err) {
          log(`catching up failed (attempt ${attempt})`, err instanceof Error ? err.message : err);
          await new Promise((r) => setTimeout(r, CATCH_UP_RETRY_MS));
        }
      }
    } finally {
      const queued = this.queued;
      this.queued = undefined;
      for (const [c, m] of queued) this.deliver(c, m);
    }
  }

  /** After a reconnect: raise every known project's sequence to the highest id seen here. */
  async restoreSequences(): Promise<void> {
    await Promise.all(
      [...this.highest].map(([projectId, id]) =>
        guard(() => this.client.eval(SEQ_FLOOR, { keys: [`sse:seq:{${projectId}}`], arguments: [String(id)] })),
      ),
    );
  }

  async publish(projectId: string, data: string): Promise<ChatMessage> {
    await this.hold.assertOpen();
    const id = Number(
      await guard(() =>
        this.client.eval(PUBLISH, {
          keys: [`sse:seq:{${projectId}}`, `sse:hist:{${projectId}}`],
          arguments: [`sse:msg:${projectId}`, data, String(this.historySize)],
        }),
      ),
    );
    this.seen(projectId, id);
    return { id, projectId, data };
  }

  async since(projectId: string, afterId: number): Promise<ChatMessage[]> {
    const entries = await guard(() => this.client.lRange(`sse:hist:{${projectId}}`, 0, -1));
    const out: ChatMessage[] = [];
    for (const e of entries) {
      const m = parseEntry(projectId, e);
      if (m && m.id > afterId) out.push(m);
    }
    return out;
  }

  async lastId(projectId: string): Promise<number> {
    const v = await guard(() => this.client.get(`sse:seq:{${projectId}}`));
    const n = Number(v ?? 0);
    return Number.isSafeInteger(n) ? n : 0;
  }

  subscribe(projectId: string, listener: (msg: ChatMessage) => void): () => void {
    return this.listeners.add(projectId, listener);
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.sub.isReady) {
      await this.sub.pUnsubscribe('sse:msg:*').catch(() => undefined);
      await this.sub.close().catch(() => undefined);
    } else {
      this.sub.destroy();
    }
  }
}
