/** Child processes of the demo tests: stream holders and server instances that can be SIGKILLed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface Child {
  child: ChildProcess;
  /** SIGKILL (nothing runs in the child), and wait for the exit */
  kill(): Promise<void>;
}

function killer(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
}

/** Waits (bounded) for `marker` on the child's stdout or stderr; returns the line it was on. */
function waitForLine(child: ChildProcess, marker: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((ok, fail) => {
    let out = '';
    const t = setTimeout(() => fail(new Error(`${what} not ready in ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = out.split('\n').find((l) => marker.test(l));
      if (m !== undefined) {
        clearTimeout(t);
        ok(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      fail(new Error(`${what} exited (${code ?? signal}) before it was ready: ${out}`));
    });
  });
}

/** A process holding `n` streams of `streamUrl`; resolves with the statuses once all answered. */
export async function holdStreams(streamUrl: string, n: number): Promise<Child & { statuses: number[] }> {
  // one process (the tsx CLI would run the script in a child that SIGKILL does not reach)
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('tests/unit/demo/hold-streams.ts'), streamUrl, String(n)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = killer(child);
  try {
    const line = await waitForLine(child, /^ready /, 60_000, 'stream holder');
    return { child, kill, statuses: line.slice('ready '.length).trim().split(',').map(Number) };
  } catch (err) {
    await kill();
    throw err;
  }
}

/** A demo server instance in its own process (main.ts), on `port`. */
export async function serverProcess(port: number, env: Record<string, string>): Promise<Child & { url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('demo/server/main.ts')], {
    env: { ...process.env, PORT: String(port), SSE_BUILD_PAGES: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = killer(child);
  try {
    await waitForLine(child, /demo server on/, 60_000, 'server instance');
    return { child, kill, url: `http://127.0.0.1:${port}` };
  } catch (err) {
    await kill();
    throw err;
  }
}
