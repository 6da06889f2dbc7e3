/**
 * Child process for the "killed abruptly" tests: opens `n` chat streams to `url` (node:http, one
 * socket each), prints `ready <status,...>` once every response head arrived, then holds them
 * until it is killed. Usage: node --import tsx hold-streams.ts <streamUrl> <n>
 */
import { request } from 'node:http';

const [url, nRaw] = process.argv.slice(2);
const n = Number(nRaw);
if (!url || !Number.isInteger(n) || n < 1 || n > 100) {
  console.error('usage: hold-streams.ts <streamUrl> <n 1..100>');
  process.exit(2);
}
const statuses: number[] = [];
for (let i = 0; i < n; i += 1) {
  const req = request(url, { agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
    statuses.push(res.statusCode ?? 0);
    res.resume(); // read (and drop) what the stream sends
    if (statuses.length === n) console.log(`ready ${statuses.join(',')}`);
  });
  req.on('error', (err) => {
    console.error(`stream ${i} failed: ${err.message}`);
    process.exit(1);
  });
  req.end();
}
// the sockets keep the process alive; a safety net in case the test never kills it
setTimeout(() => process.exit(3), 120_000).unref();
