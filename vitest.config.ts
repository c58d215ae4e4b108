import { defineConfig } from 'vitest/config';

// One vitest run covers unit, component and integration tests (test/**).
// Integration tests start real servers (Mosquitto, Prometheus, PostgreSQL, socat) on free loopback
// ports, so files can run in parallel; each file cleans up what it started.
//
// `npm test` (.ci/test.mjs) runs two phases: GSMJOBS_TEST_PHASE=parallel runs every file but the
// timing-sensitive ones below with several workers (most integration files wait on real
// processes, not on the CPU: vitest's default of cores - 1 is one worker on a 2-core machine);
// GSMJOBS_TEST_PHASE=serial then runs those alone, one file at a time, so their latency and
// takeover bounds are measured on an otherwise quiet machine. Without the variable (a developer
// running `npx vitest run <file>`) every file is included with vitest's defaults.
export const SERIAL_FILES = [
  'test/hub/login-flood.int.test.ts',
  'test/hub/hostile-mqtt.int.test.ts',
  'test/hub/broker-flood-limits.int.test.ts',
  'test/e2e/failover.test.ts',
  // Both hubs must notice the database gone within 9 s of a 10 s outage: a loaded machine can miss it.
  'test/e2e/pg-restart.test.ts',
];

const phase = process.env.GSMJOBS_TEST_PHASE;
const workers = Number(process.env.GSMJOBS_TEST_WORKERS ?? 3);
const ALL = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

export default defineConfig({
  test: {
    include: phase === 'serial' ? SERIAL_FILES : ALL,
    exclude: ['node_modules/**', 'dist/**', 'test/bench/**', ...(phase === 'parallel' ? SERIAL_FILES : [])],
    pool: 'forks',
    ...(phase === 'parallel' ? { maxWorkers: workers } : phase === 'serial' ? { maxWorkers: 1 } : {}),
    globalSetup: ['test/support/global-bundles.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ['default'],
  },
});
