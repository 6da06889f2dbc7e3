import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx', 'tests/sim/**/*.test.ts'],
    environment: 'node',
    pool: 'threads',
  },
});
