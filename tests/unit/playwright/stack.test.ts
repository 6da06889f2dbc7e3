import { describe, expect, it } from 'vitest';
import { callerFrames, frameLocation } from '../../../src/playwright/stack';

const STACK = [
  'Error',
  '    at step (/pkg/node_modules/sse-connections/dist-playwright/playwright/sse.js:40:17)',
  '    at Object.expectSingleLeader (file:///pkg/node_modules/sse-connections/dist-playwright/playwright/sse.js:120:20)',
  '    at /app/tests/chat.spec.ts:12:13',
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
].join('\n');

describe('callerFrames', () => {
  it('drops the frames of the given directories (as paths or file URLs)', () => {
    const dir = '/pkg/node_modules/sse-connections/dist-playwright/playwright';
    expect(callerFrames(STACK, dir, `file://${dir}`)).toEqual([
      '    at /app/tests/chat.spec.ts:12:13',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ]);
  });

  it('does not take a sibling directory with the same prefix for its own', () => {
    const stack = 'Error\n    at /pkg/playwright-extra/x.js:1:1';
    expect(callerFrames(stack, '/pkg/playwright')).toEqual(['    at /pkg/playwright-extra/x.js:1:1']);
  });

  it('no stack, no frames', () => {
    expect(callerFrames(undefined, '/x')).toEqual([]);
  });
});

describe('frameLocation', () => {
  it('reads paths and file URLs, with or without a function name', () => {
    expect(frameLocation('    at /app/tests/chat.spec.ts:12:13')).toEqual({ file: '/app/tests/chat.spec.ts', line: 12, column: 13 });
    expect(frameLocation('    at run (file:///app/tests/a%20b.spec.ts:3:7)')).toEqual({ file: '/app/tests/a b.spec.ts', line: 3, column: 7 });
    expect(frameLocation('    at new Promise (<anonymous>)')).toBeUndefined();
    expect(frameLocation(undefined)).toBeUndefined();
  });
});
