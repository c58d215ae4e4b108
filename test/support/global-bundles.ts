// Vitest global set-up: build the hub's production bundle (dist/hub/index.mjs, exactly what
// `npm run build` makes and the systemd unit runs) once per test run, before any worker starts.
// Suites that start many hub processes in a row (the crash matrices) run the bundle: it starts
// in about half the time of `node --import tsx hub/main.ts`, which transpiles every module at
// each start. Nothing is cached between runs: the bundle is rebuilt from the sources each time.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['.build/bundle.mjs', 'hub'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
