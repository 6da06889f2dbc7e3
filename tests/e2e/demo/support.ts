/** Helpers of the demo e2e tests: plain Chromium (no extension), redis-server on a free port. */
import { chromium, type Browser } from '@playwright/test';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export { freePort, startRedis, type RedisProcess } from '../../unit/demo/redis-process.js';

export function uniqueProject(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function postMessage(baseUrl: string, projectId: string, text: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/persistent-chat/messages?projectId=${projectId}&userId=poster`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}
