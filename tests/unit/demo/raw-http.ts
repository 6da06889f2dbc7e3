/**
 * Raw HTTP over a TCP socket, for requests fetch() will not send (bad request lines, huge heads,
 * lying Content-Length) and for clients that never read. Loopback only; every call is bounded.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `request` as is and reads the response head and, when it has a Content-Length, its body.
 * A streaming response (no Content-Length) resolves after the head. Rejects after `timeoutMs`.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  const isHead = /^HEAD /.test(typeof request === 'string' ? request : request.subarray(0, 5).toString('latin1'));
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      const parsed = parse(buf, isHead);
      if (!parsed && !err) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (parsed) resolve(parsed);
      else reject(err ?? new Error('no response'));
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      reject(new Error(`no complete response in ${timeoutMs} ms: ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      finish();
    });
    // the server may answer (and close) before it read everything we send: keep what came
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`closed without a response: ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`)));
    socket.write(request, () => undefined);
  });
}

function parse(buf: Buffer, isHead: boolean): RawResponse | undefined {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const len = headers['content-length'];
  const bodyBuf = buf.subarray(headEnd + 4);
  const status = Number(m[1]);
  // no body: HEAD, 204, 304; a stream (no Content-Length): the head is enough
  if (len === undefined || isHead || status === 204 || status === 304) return { status, headers, body: '' };
  if (bodyBuf.length < Number(len)) return undefined;
  return { status, headers, body: bodyBuf.subarray(0, Number(len)).toString('utf8') };
}

/**
 * A client that sends a request and then never reads a byte: the server's writes fill the
 * kernel buffers, then the response's own buffer.
 */
export function idleClient(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      resolve(socket);
    });
  });
}
