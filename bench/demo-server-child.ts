/** The demo server in its own process, so its memory is measured alone. Talks over IPC. */
import { startDemoServer } from '../demo/server/index';

const server = await startDemoServer({
  port: 0,
  limit: Number(process.env.SSE_LIMIT ?? 5),
  buildPages: false,
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
});
process.send?.({ kind: 'ready', url: server.url });
process.on('message', (m: { kind: string }) => {
  if (m.kind === 'rss') process.send?.({ kind: 'rss', rss: process.memoryUsage().rss });
  if (m.kind === 'stop') void server.close().then(() => process.exit(0));
});
