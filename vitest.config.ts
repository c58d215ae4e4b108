import { defineConfig } from 'vitest/config';

// One vitest run covers unit, component and integration tests (test/**).
// Integration tests start real servers (Mosquitto, Prometheus, socat) on free loopback ports,
// so files can run in parallel; each file cleans up what it started.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**', 'test/bench/**'],
    pool: 'forks',
    globalSetup: ['test/support/global-bundles.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ['default'],
  },
});
