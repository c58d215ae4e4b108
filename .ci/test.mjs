#!/usr/bin/env node
// `npm test`: lint, type-check (code and tests), then every vitest suite (unit, component,
// integration with real servers). Prints one closing line `N passed, N failed` counting the
// vitest tests plus the lint and type-check steps, and exits non-zero when anything failed.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
const extra = process.argv.slice(2);

function run(name, cmd, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
    child.on('exit', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`=== ${name}: ${code === 0 ? 'ok' : `FAILED (${code ?? signal})`} in ${secs} s`);
      resolve(code === 0);
    });
    child.on('error', (err) => {
      console.error(`=== ${name}: cannot start: ${err.message}`);
      resolve(false);
    });
  });
}

let passed = 0;
let failed = 0;
const bin = (n) => join(root, 'node_modules', '.bin', n);

// Lint and type-check run side by side (each mostly uses one core).
const checks = await Promise.all([
  run('lint', bin('eslint'), ['--max-warnings', '0', '.']),
  run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']),
]);
for (const ok of checks) {
  if (ok) passed++;
  else failed++;
}

/** One vitest invocation; adds its test counts. `phase` selects files (see vitest.config.ts). */
async function vitest(name, phase, args) {
  const report = join(artifacts, `vitest${phase ? `-${phase}` : ''}.json`);
  rmSync(report, { force: true });
  if (phase) process.env.GSMJOBS_TEST_PHASE = phase;
  else delete process.env.GSMJOBS_TEST_PHASE;
  const ok = await run(name, bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args]);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    // A file that failed without a failing test (it did not load, or a hook threw) counts once.
    const brokenFiles = (r.testResults ?? []).filter(
      (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
    );
    for (const f of brokenFiles) console.error(`broken test file: ${f.name}: ${(f.message ?? '').split('\n')[0]}`);
    failed += brokenFiles.length;
    if (!ok && (r.numFailedTests ?? 0) + brokenFiles.length === 0) failed++;
    if ((r.numTotalTests ?? 0) === 0) {
      console.error(`${name} ran no test`);
      failed++;
    }
  } catch {
    failed++;
  }
}

if (extra.length) {
  await vitest('vitest', undefined, extra);
} else {
  // Most files in parallel, then the timing-sensitive ones alone (vitest.config.ts SERIAL_FILES).
  await vitest('vitest (parallel)', 'parallel', []);
  await vitest('vitest (serial)', 'serial', []);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
