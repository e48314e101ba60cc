import { defineConfig } from 'vitest/config';

// Tests talk to real PostgreSQL servers, Docker and Python: generous timeouts,
// and files run in separate processes so a SIGTERM test cannot hit another.
export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
  },
});
