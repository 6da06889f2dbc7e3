/**
 * The demo server under load: 1,000 concurrent SSE connections on loopback
 * across many users, message fan-out latency (p50, p99) and the server's
 * resident memory, in memory mode and in Redis mode, side by side.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { intervalField, log, median, ratioInterval, round, type Row } from './lib';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.end();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGKILL') };
}

function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(HERE, 'demo-server-child.ts'), [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { kind: string; url: string }) => resolve({ url: m.url, child }));
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
  });
}

function rssOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { rss: number }) => resolve(m.rss));
    child.send({ kind: 'rss' });
  });
}

interface Client {
  req: http.ClientRequest;
  latencies: number[];
}

/** Open one SSE connection; each `data:` line carrying `"t":<ms>` records now - t. */
function connect(base: string, userId: string, projectId: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const req = http.get(
      `${base}/api/persistent-chat/stream?projectId=${projectId}&userId=${userId}`,
      { agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let i: number;
          while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (!line.startsWith('data:')) continue;
            const m = /\\?"t\\?":\s*"?(\d+(?:\.\d+)?)/.exec(line) ?? /bench-(\d+(?:\.\d+)?)/.exec(line);
            if (m) latencies.push(performance.timeOrigin + performance.now() - Number(m[1]));
          }
        });
        resolve({ req, latencies });
      },
    );
    req.on('error', reject);
  });
}

function post(base: string, userId: string, projectId: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ text });
    const req = http.request(
      `${base}/api/persistent-chat/messages?projectId=${projectId}&userId=${userId}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`post answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

interface ModeResult {
  p50: number;
  p99: number;
  rssMB: number;
  delivered: number;
  expected: number;
}

async function runMode(redisUrl: string | null, connections: number, projects: number, rounds: number): Promise<ModeResult> {
  const { url, child } = await startServer(redisUrl ? { REDIS_URL: redisUrl } : {});
  const clients: Client[] = [];
  try {
    // Many users: each connection its own user, spread over `projects` projects.
    for (let i = 0; i < connections; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(connections, i + 50); j++) batch.push(connect(url, `user${j}`, `proj${j % projects}`));
      clients.push(...(await Promise.all(batch)));
    }
    await new Promise((r) => setTimeout(r, 300));
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from({ length: projects }, (_, p) => post(url, `poster${p}`, `proj${p}`, `bench-${performance.timeOrigin + performance.now()}`)),
      );
      await new Promise((res) => setTimeout(res, 20));
    }
    const expected = connections * rounds;
    const deadline = Date.now() + 20_000;
    while (clients.reduce((n, c) => n + c.latencies.length, 0) < expected && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
    }
    const all = clients.flatMap((c) => c.latencies);
    const rss = await rssOf(child);
    return { p50: percentile(all, 50), p99: percentile(all, 99), rssMB: rss / 2 ** 20, delivered: all.length, expected };
  } finally {
    for (const c of clients) c.req.destroy();
    child.send({ kind: 'stop' });
    await new Promise((r) => child.once('exit', r));
  }
}

export async function demoServer(runs = 5, connections = 1000): Promise<Row[]> {
  const projects = 50;
  const rounds = 20;
  const redis = await startRedis();
  try {
    const mem: ModeResult[] = [];
    const red: ModeResult[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which mode goes first.
      const order = i % 2 === 0 ? ['memory', 'redis'] : ['redis', 'memory'];
      for (const mode of order) {
        const r = await runMode(mode === 'redis' ? redis.url : null, connections, projects, rounds);
        (mode === 'redis' ? red : mem).push(r);
        log(`  ${mode} run ${i + 1}: ${JSON.stringify(r)}`);
      }
    }
    const rows: Row[] = [];
    const add = (metric: string, pick: (r: ModeResult) => number, unit: string, digits: number) => {
      const m = median(mem.map(pick));
      const r = median(red.map(pick));
      // Run i measured both modes one after the other: paired.
      const interval = ratioInterval(mem.map((x) => [pick(x)]), red.map((x) => [pick(x)]));
      rows.push({
        benchmark: 'demo server',
        metric: `${metric}, Redis mode vs memory mode`,
        value: round(r, digits),
        unit,
        baseline: round(m, digits),
        ratio: round(r / m, 2),
        ...intervalField(interval, 2),
        runs,
      });
    };
    const note = `${connections} connections (1 per user) over ${projects} projects, ${rounds} messages per project`;
    add(`fan-out latency p50 (${note})`, (x) => x.p50, 'ms', 2);
    add('fan-out latency p99', (x) => x.p99, 'ms', 2);
    add(`resident memory with ${connections} open streams`, (x) => x.rssMB, 'MB', 1);
    const lost = [...mem, ...red].reduce((n, x) => n + (x.expected - x.delivered), 0);
    rows.push({ benchmark: 'demo server', metric: 'messages not delivered (all runs, both modes)', value: lost, unit: '', runs, target: '0' });
    return rows;
  } finally {
    redis.stop();
  }
}
