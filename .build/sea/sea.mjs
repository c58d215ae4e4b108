// Node single executable application steps: make the preparation blob with the same Node
// version that is embedded (--experimental-sea-config, the way Node 24 offers), then inject it
// into a copy of each architecture's official node binary with postject.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
export const SEA_RESOURCE = 'NODE_SEA_BLOB';

/**
 * Build the blob with `hostNode` (the downloaded Node binary for this machine's architecture).
 * No snapshot and no code cache: both are specific to the architecture that makes them, and one
 * blob without them runs on every architecture of the same Node version. `execArgv` (Node >= 24.6):
 * V8/Node flags the executable always starts with (NODE_OPTIONS still applies on top of them).
 */
export function makeBlob({ hostNode, mainScript, assets = {}, workDir, execArgv = [] }) {
  const config = join(workDir, 'sea-config.json');
  const blob = join(workDir, 'sea-prep.blob');
  writeFileSync(
    config,
    JSON.stringify({ main: mainScript, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets, ...(execArgv.length ? { execArgv } : {}) }, null, 2),
  );
  const r = spawnSync(hostNode, ['--experimental-sea-config', config], { cwd: workDir, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${hostNode} --experimental-sea-config failed: ${r.error?.message ?? (r.stderr || r.stdout)}`);
  }
  return blob;
}

/** Copy `node` to `target` and inject the blob (atomic: a half-written executable never appears). */
export async function injectBlob({ node, blob, target }) {
  const require = createRequire(import.meta.url);
  const { inject } = require('postject');
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  copyFileSync(node, tmp);
  chmodSync(tmp, 0o755);
  // LIEF (inside postject) warns about every unnamed .note section of Node's ELF; harmless noise.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!/Can't find string offset for section name/.test(String(args[0]))) warn(...args);
  };
  try {
    await inject(tmp, SEA_RESOURCE, readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
  renameSync(tmp, target);
}
