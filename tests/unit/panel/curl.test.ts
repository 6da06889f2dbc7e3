import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCurl, encodeControls, shellQuote } from '../../../src/panel/model/curl';
import { connection } from './fixtures';

/** Read back a command of single-quoted words the way a POSIX shell does. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    while (command[i] === ' ') i++;
    if (i >= command.length) break;
    let word = '';
    while (i < command.length && command[i] !== ' ') {
      if (command[i] === "'") {
        const end = command.indexOf("'", i + 1);
        if (end < 0) throw new Error('unterminated quote');
        word += command.slice(i + 1, end);
        i = end + 1;
      } else if (command[i] === '\\') {
        word += command[i + 1];
        i += 2;
      } else {
        if (/[$`"();&|<>*?]/.test(command[i]!)) throw new Error(`unquoted shell character ${command[i]}`);
        word += command[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

describe('copy as cURL', () => {
  it('builds a curl command for an EventSource', () => {
    const { command, notes } = buildCurl(connection({ url: 'http://app.test/sse?projectId=p1&x=1', lastEventId: '42' }));
    expect(command).toBe(
      "curl --no-buffer -H 'Accept: text/event-stream' -H 'Cache-Control: no-cache' -H 'Last-Event-ID: 42' --url 'http://app.test/sse?projectId=p1&x=1'",
    );
    expect(notes).toEqual([]);
  });

  it('quotes hostile URLs and ids so the shell reads them back unchanged', () => {
    const url = "http://x.test/'; rm -rf ~; echo '$(id)`id`";
    const { command } = buildCurl(connection({ url, lastEventId: "a'b" }));
    const words = shellWords(command);
    expect(words.at(-1)).toBe(url);
    expect(words).toContain("Last-Event-ID: a'b");
  });

  it('keeps control characters out of the command', () => {
    const { command, notes } = buildCurl(connection({ url: 'http://x.test/\u001b[2Jpath\nnext', lastEventId: 'a\rb' }));
    expect(command).not.toMatch(/[\u0000-\u001f]/);
    expect(command).toContain('%1B[2Jpath%0Anext');
    expect(notes.join(' ')).toMatch(/Last-Event-ID left out/);
    expect(encodeControls('a\u0085b')).toBe('a%C2%85b');
  });

  it('adds the method of a fetch stream and says the body is unknown', () => {
    const { command, notes } = buildCurl(connection({ transport: 'fetch' }), { method: 'post' });
    expect(command).toContain("-X 'POST'");
    expect(notes.join(' ')).toMatch(/body unknown/);
    expect(buildCurl(connection(), { method: 'P OST' }).command).not.toContain('-X');
  });

  it('a URL starting with "-" is not an option', () => {
    const words = shellWords(buildCurl(connection({ url: '-o/etc/passwd' })).command);
    expect(words.slice(-2)).toEqual(['--url', '-o/etc/passwd']);
  });

  it('shellQuote round-trips any string', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(shellWords(`echo ${shellQuote(s.replace(/ /g, '_'))}`)[1]).toBe(s.replace(/ /g, '_'));
      }),
    );
  });
});
