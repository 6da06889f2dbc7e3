import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../src/shared/protocol';
import { CORE_KEY, ChunkEncoder, encodeCore, logKey, restoreState, serializeCore } from '../../../src/background/persist';
import { decodeChunk } from '../../../src/background/log-codec';
import { T0, channel, run, tab } from './fixtures';

const entry = (seq: number, preview = `p${seq}`): LogEntry => ({
  seq,
  t: T0 + seq,
  tabId: 1,
  frameId: 0,
  kind: 'bc:post',
  ref: '1.doc-1.1',
  name: 'chat-p',
  preview,
  size: preview.length,
});
/** What a stored chunk gives back, as JSON (so key order counts too). */
const back = (stored: string) => JSON.stringify(decodeChunk(JSON.parse(stored)));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => entry(a + i));

describe('ChunkEncoder', () => {
  it('gives the JSON of the chunk, encoding entries added since the last write only', () => {
    const enc = new ChunkEncoder();
    const log = range(1000, 1010);
    expect(back(enc.encode(1, log.slice(0, 4)))).toBe(JSON.stringify(log.slice(0, 4)));
    expect(enc.encoded).toBe(4);
    expect(back(enc.encode(1, log))).toBe(JSON.stringify(log));
    expect(enc.encoded).toBe(10);
    // Same chunk, nothing new.
    expect(back(enc.encode(1, log))).toBe(JSON.stringify(log));
    expect(enc.encoded).toBe(10);
  });

  it('starts again when the chunk lost its first entries (eviction) or entries in between (a tab cleared)', () => {
    const enc = new ChunkEncoder();
    const log = range(2000, 2010);
    enc.encode(2, log);
    const evicted = log.slice(3);
    expect(back(enc.encode(2, evicted))).toBe(JSON.stringify(evicted));
    const holed = [...evicted.slice(0, 2), ...evicted.slice(4), ...range(2010, 2013)];
    expect(back(enc.encode(2, holed))).toBe(JSON.stringify(holed));
    const grown = [...holed, ...range(2013, 2015)];
    const before = enc.encoded;
    expect(back(enc.encode(2, grown))).toBe(JSON.stringify(grown));
    expect(enc.encoded - before).toBe(2);
  });

  it('keeps chunks apart, and forgets on reset', () => {
    const enc = new ChunkEncoder();
    const a = range(0, 5);
    const b = range(1000, 1003);
    enc.encode(0, a);
    enc.encode(1, b);
    expect(back(enc.encode(0, a))).toBe(JSON.stringify(a));
    enc.reset();
    const before = enc.encoded;
    expect(back(enc.encode(1, b))).toBe(JSON.stringify(b));
    expect(enc.encoded - before).toBe(3);
  });

  it('encodes entries with characters JSON escapes', () => {
    const enc = new ChunkEncoder();
    const odd = [entry(1, '"\\\n\u2028</script>'), entry(2, '\u0000')];
    expect(decodeChunk(JSON.parse(enc.encode(0, odd)))).toEqual(odd);
  });
});

describe('restoreState', () => {
  const a = tab(1);
  const state = run([a.hello, a.events(T0, channel(1, 'chat-p'), { kind: 'bc:post', t: T0, id: 1, size: 1, preview: 'x' })]);

  it('restores the JSON strings it writes', () => {
    const restored = restoreState({ [CORE_KEY]: encodeCore(state), [logKey(0)]: new ChunkEncoder().encode(0, state.log) });
    expect(restored).toEqual(state);
  });

  it('restores values stored as objects (older versions)', () => {
    const copy = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    const restored = restoreState({ [CORE_KEY]: copy(serializeCore(state)), [logKey(0)]: copy(state.log) });
    expect(restored).toEqual(state);
  });

  it('a core that is not JSON gives an empty model', () => {
    expect(restoreState({ [CORE_KEY]: '{not json' }).seq).toBe(1);
    expect(restoreState({ [CORE_KEY]: 'null' }).seq).toBe(1);
  });
});
