import { beforeEach, describe, expect, it } from 'vitest';
import { applyMessage, emptyPanelData, type PanelData } from '../../../src/panel/store';
import { logEntries, logSize } from '../../../src/panel/model/log-view';
import type { PanelMessage } from '../../../src/shared/protocol';
import { entry, message, resetSeq, snapshot } from './fixtures';

beforeEach(resetSeq);

const run = (messages: PanelMessage[], data: PanelData = emptyPanelData(), limit?: number) =>
  messages.reduce((d, m) => applyMessage(d, m, limit), data);

describe('applyMessage', () => {
  it('takes the snapshot as it comes', () => {
    const s = snapshot();
    const d = run([{ kind: 'panel:snapshot', snapshot: s }]);
    expect(d.snapshot).toBe(s);
  });

  it('replaces the log on reset, then appends deltas', () => {
    const d = run([
      { kind: 'panel:log', entries: [message('a')], reset: false },
      { kind: 'panel:log', entries: [message('b'), message('c')], reset: true },
      { kind: 'panel:log', entries: [message('d')], reset: false },
    ]);
    expect(logEntries(d.log).map((e) => e.preview)).toEqual(['b', 'c', 'd']);
  });

  it('keeps at most the panel limit, oldest dropped', () => {
    const d = run([{ kind: 'panel:log', entries: Array.from({ length: 50 }, (_, i) => message(String(i))), reset: false }], emptyPanelData(), 10);
    expect(logSize(d.log)).toBe(10);
    expect(logEntries(d.log)[0]?.preview).toBe('40');
  });

  it('does not change the previous data (a paused view keeps its log)', () => {
    const before = run([{ kind: 'panel:log', entries: [message('a')], reset: true }]);
    const after = applyMessage(before, { kind: 'panel:log', entries: [message('b')], reset: false });
    expect(logSize(before.log)).toBe(1);
    expect(logSize(after.log)).toBe(2);
  });

  it('remembers each tab’s last top-level navigation (for "preserve log" off)', () => {
    const d = run([
      { kind: 'panel:log', entries: [message('old'), entry('doc:gone', { tabId: 1, frameId: 0 }), entry('doc:gone', { tabId: 1, frameId: 3 })], reset: true },
      { kind: 'panel:log', entries: [message('new'), entry('doc:gone', { tabId: 2, frameId: 0 })], reset: false },
    ]);
    expect(d.navigations.get(1)?.seq).toBe(2);
    expect(d.navigations.get(2)?.seq).toBe(5);
    const reset = applyMessage(d, { kind: 'panel:log', entries: [], reset: true });
    expect(reset.navigations.size).toBe(0);
  });

  it('returns the same data for an empty delta (no re-render)', () => {
    const d = run([{ kind: 'panel:log', entries: [message('a')], reset: true }]);
    expect(applyMessage(d, { kind: 'panel:log', entries: [], reset: false })).toBe(d);
  });
});
