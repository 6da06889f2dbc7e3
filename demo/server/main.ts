/** CLI: env PORT (8787), HOST (127.0.0.1), SSE_LIMIT (5), REDIS_URL, SSE_RETRY_AFTER_SEC (10), SSE_HEARTBEAT_MS (15000), SSE_MAX_BUFFERED_BYTES (524288), SSE_MAX_STREAMS (10000), INSTANCE_ID, SSE_LOG=1, SSE_BUILD_PAGES=0 (skip the page build). */
import { startDemoServer } from './index.js';

function intEnv(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const server = await startDemoServer({
  port: intEnv('PORT', 8787),
  host: process.env['HOST'] || '127.0.0.1',
  limit: intEnv('SSE_LIMIT', 5),
  retryAfterSec: intEnv('SSE_RETRY_AFTER_SEC', 10),
  heartbeatMs: intEnv('SSE_HEARTBEAT_MS', 15_000),
  maxBufferedBytes: intEnv('SSE_MAX_BUFFERED_BYTES', 512 * 1024),
  maxStreams: intEnv('SSE_MAX_STREAMS', 10_000),
  ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}),
  ...(process.env['INSTANCE_ID'] ? { instanceId: process.env['INSTANCE_ID'] } : {}),
  log: process.env['SSE_LOG'] === '1',
  buildPages: process.env['SSE_BUILD_PAGES'] !== '0',
});

const u = server.url;
console.log(`SSE Connections demo server on ${u}${process.env['REDIS_URL'] ? ' (limits shared through Redis)' : ''}`);
console.log(`  index            ${u}/`);
console.log(`  chat             ${u}/chat.html?projectId=demo`);
console.log(`  naive (N raw)    ${u}/naive.html?projectId=demo&n=7`);
console.log(`  fetch transport  ${u}/fetch.html?projectId=demo`);
console.log(`  basic            ${u}/basic.html`);
console.log(`  ticker           ${u}/api/ticker?intervalMs=100`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
