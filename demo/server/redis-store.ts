import { createClient } from 'redis';
import type { AdmitResult, ChatMessage, ConnectionInfo, LimitStore, MessageBus } from './store-types.js';

function newClient(url: string) {
  return createClient({ url });
}
type Client = ReturnType<typeof newClient>;

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

/** KEYS: conns, info. ARGV: ttlMs, ids... Extends entries that still exist (XX). */
const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
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

export async function connectRedis(url: string): Promise<Client> {
  const client = newClient(url);
  client.on('error', (err: unknown) => {
    console.error('[demo-server] redis error', err);
  });
  await client.connect();
  return client;
}

export class RedisLimitStore implements LimitStore {
  constructor(
    private readonly client: Client,
    private readonly ttlMs: number,
  ) {}

  async admit(info: ConnectionInfo, limit: number): Promise<AdmitResult> {
    const reply = (await this.client.eval(ADMIT, {
      keys: keys(info.userId, info.projectId),
      arguments: [String(limit), info.id, JSON.stringify(info), String(this.ttlMs)],
    })) as [number, number];
    return { admitted: reply[0] === 1, count: Number(reply[1]) };
  }

  async release(info: ConnectionInfo): Promise<void> {
    const [conns, infoKey] = keys(info.userId, info.projectId);
    await this.client.multi().zRem(conns, info.id).hDel(infoKey, info.id).exec();
  }

  async refresh(infos: readonly ConnectionInfo[]): Promise<void> {
    const groups = new Map<string, { userId: string; projectId: string; ids: string[] }>();
    for (const i of infos) {
      const g = groups.get(`${i.userId}\u0000${i.projectId}`) ?? { userId: i.userId, projectId: i.projectId, ids: [] };
      g.ids.push(i.id);
      groups.set(`${i.userId}\u0000${i.projectId}`, g);
    }
    await Promise.all(
      [...groups.values()].map((g) =>
        this.client.eval(REFRESH, { keys: keys(g.userId, g.projectId), arguments: [String(this.ttlMs), ...g.ids] }),
      ),
    );
  }

  async count(userId: string, projectId: string): Promise<number> {
    return (await this.list(userId, projectId)).length;
  }

  async list(userId: string, projectId: string): Promise<ConnectionInfo[]> {
    const reply = (await this.client.eval(LIST, { keys: keys(userId, projectId) })) as Array<string | null>;
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

/** Messages numbered by INCR, kept in a capped list and fanned out with PUBLISH, in one script. */
export class RedisMessageBus implements MessageBus {
  private readonly listeners = new Map<string, Set<(m: ChatMessage) => void>>();
  private constructor(
    private readonly client: Client,
    private readonly sub: Client,
    private readonly historySize: number,
  ) {}

  static async create(client: Client, historySize: number): Promise<RedisMessageBus> {
    const sub = client.duplicate();
    sub.on('error', (err: unknown) => {
      console.error('[demo-server] redis subscriber error', err);
    });
    await sub.connect();
    const bus = new RedisMessageBus(client, sub, historySize);
    await sub.pSubscribe('sse:msg:*', (message: string, channel: string) => bus.deliver(channel, message));
    return bus;
  }

  private deliver(channel: string, message: string): void {
    const projectId = channel.slice('sse:msg:'.length);
    const msg = parseEntry(projectId, message);
    if (!msg) return;
    for (const l of [...(this.listeners.get(projectId) ?? [])]) l(msg);
  }

  async publish(projectId: string, data: string): Promise<ChatMessage> {
    const id = Number(
      await this.client.eval(PUBLISH, {
        keys: [`sse:seq:{${projectId}}`, `sse:hist:{${projectId}}`],
        arguments: [`sse:msg:${projectId}`, data, String(this.historySize)],
      }),
    );
    return { id, projectId, data };
  }

  async since(projectId: string, afterId: number): Promise<ChatMessage[]> {
    const entries = await this.client.lRange(`sse:hist:{${projectId}}`, 0, -1);
    const out: ChatMessage[] = [];
    for (const e of entries) {
      const m = parseEntry(projectId, e);
      if (m && m.id > afterId) out.push(m);
    }
    return out;
  }

  subscribe(projectId: string, listener: (msg: ChatMessage) => void): () => void {
    let set = this.listeners.get(projectId);
    if (!set) {
      set = new Set();
      this.listeners.set(projectId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.sub.pUnsubscribe('sse:msg:*').catch(() => undefined);
    await this.sub.close().catch(() => undefined);
  }
}
