/**
 * "Copy as cURL" for a connection. Every part is page data, so every part is
 * single-quoted for a POSIX shell, and control characters (which a terminal
 * may act on when the command is pasted) never reach the command.
 */
import type { SnapshotConnection } from '../../shared/protocol';

/** Quote one word for sh/bash/zsh: inside single quotes only `'` needs care. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Percent-encode control characters (and nothing else) in a URL. */
export function encodeControls(url: string): string {
  let out = '';
  for (const ch of url) {
    if (CONTROL.test(ch)) {
      for (const b of new TextEncoder().encode(ch)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    } else out += ch;
  }
  return out;
}

export interface CurlOptions {
  /** HTTP method of a fetch stream (GET for EventSource). */
  method?: string;
  /** Resume from this id (Last-Event-ID header). */
  lastEventId?: string;
}

export interface CurlResult {
  command: string;
  /** What was left out and why. */
  notes: string[];
}

const METHOD = /^[A-Z]{1,16}$/;

export function buildCurl(connection: Pick<SnapshotConnection, 'url' | 'transport' | 'lastEventId'>, options: CurlOptions = {}): CurlResult {
  const notes: string[] = [];
  const parts = ['curl', '--no-buffer'];
  const method = (options.method ?? 'GET').toUpperCase();
  if (method !== 'GET') {
    if (METHOD.test(method)) parts.push('-X', shellQuote(method));
    else notes.push('method left out: not a plain HTTP method');
  }
  if (method !== 'GET' && connection.transport === 'fetch') notes.push('request body unknown: add it with --data');
  parts.push('-H', shellQuote('Accept: text/event-stream'), '-H', shellQuote('Cache-Control: no-cache'));
  const lastEventId = options.lastEventId ?? connection.lastEventId;
  if (lastEventId !== '') {
    if (CONTROL.test(lastEventId)) notes.push('Last-Event-ID left out: it holds control characters');
    else parts.push('-H', shellQuote(`Last-Event-ID: ${lastEventId}`));
  }
  const url = encodeControls(connection.url);
  if (url !== connection.url) notes.push('control characters in the URL were percent-encoded');
  // --url: a URL starting with "-" must not be read as an option.
  parts.push('--url', shellQuote(url));
  return { command: parts.join(' '), notes };
}
