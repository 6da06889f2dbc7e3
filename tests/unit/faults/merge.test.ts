import { describe, expect, it } from 'vitest';
import { mergeEvents } from '../../../src/panel/faults/merge';
import type { DeepEvent, LogEntry } from '../../../src/shared/protocol';

const page = (seq: number, t: number, type: string, id: string, preview: string, tabId = 1): LogEntry => ({
  seq,
  t,
  tabId,
  frameId: 0,
  kind: 'es:message',
  ref: 'c',
  name: 'http://x/s',
  type,
  lastEventId: id,
  preview,
  size: preview.length,
});
const net = (t: number, type: string, id: string, preview: string, tabId = 1): DeepEvent => ({
  tabId,
  requestId: 'r',
  url: 'http://x/s',
  kind: 'message',
  t,
  type,
  lastEventId: id,
  preview,
  source: 'network',
});

describe('mergeEvents', () => {
  it('pairs the same event seen by both, keeps what only one side saw, in time order', () => {
    const rows = mergeEvents(
      [page(1, 10, 'message', '1', 'a'), page(2, 30, 'message', '3', 'c'), page(3, 5, 'message', '0', 'z', 2)],
      [net(9, 'message', '1', 'a'), net(19, 'tick', '2', 'b'), { ...net(1, 'message', '', ''), kind: 'response' }],
      1,
    );
    expect(rows.map((r) => [r.type, r.lastEventId, r.source])).toEqual([
      ['message', '1', 'both'],
      ['tick', '2', 'network'],
      ['message', '3', 'page'],
    ]);
  });

  it('two identical events pair one to one', () => {
    const rows = mergeEvents([page(1, 1, 'm', '', 'x')], [net(1, 'm', '', 'x'), net(2, 'm', '', 'x')], 1);
    expect(rows.map((r) => r.source)).toEqual(['both', 'network']);
  });
});
