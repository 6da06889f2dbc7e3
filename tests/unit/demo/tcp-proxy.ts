/**
 * A loopback TCP proxy whose link the test cuts and restores: lets one instance lose Redis
 * for longer than another. While down, it drops its connections and refuses new ones.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, scheme = 'redis'): Promise<TcpProxy> {
  let isDown = false;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    if (isDown) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    down: () => {
      isDown = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    up: () => {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
