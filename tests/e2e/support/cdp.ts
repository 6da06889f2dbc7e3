/**
 * A minimal Chrome DevTools Protocol client over the browser's WebSocket,
 * with flattened sessions (`sessionId` on each message). Playwright's own
 * CDPSession cannot address targets it does not manage, such as a DevTools
 * window or the extension panel's iframe inside it.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string };

export class Cdp {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: CDP connection closed`));
      this.pending.clear();
    });
  }

  /** Connect to the browser endpoint written by --remote-debugging-port=0 into the profile. */
  static async connectToProfile(userDataDir: string, timeoutMs = 10_000): Promise<Cdp> {
    const file = path.join(userDataDir, 'DevToolsActivePort');
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error('Chromium did not write DevToolsActivePort');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [port, wsPath] = readFileSync(file, 'utf8').trim().split('\n');
    const ws = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Cdp(ws);
  }

  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    const message = sessionId ? { id, method, params, sessionId } : { id, method, params };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.ws.send(JSON.stringify(message));
    });
  }

  /** Evaluate an expression in an attached target; throws the page's exception text. */
  async evaluate<T = unknown>(sessionId: string, expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, awaitPromise: true, returnByValue: true },
      sessionId,
    );
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  close(): void {
    this.ws.close();
  }
}
