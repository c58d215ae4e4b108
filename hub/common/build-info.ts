// Build information shared by the three programs: version (package.json), revision (the
// GSMJOBS_REVISION environment value, set by the build or the service unit, else
// `git rev-parse --short HEAD`, else "unknown") and the Node.js version, exposed as
// `<prefix>_build_info{version,revision,node_version} 1` like Prometheus' own build_info.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';

export interface BuildInfo {
  version: string;
  revision: string;
  node_version: string;
}

let cached: BuildInfo | undefined;

export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  if (cached && env === process.env) return cached;
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    // bundled without package.json beside it
  }
  let revision = env.GSMJOBS_REVISION ?? '';
  if (!revision) {
    try {
      revision = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('.', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    } catch {
      revision = 'unknown';
    }
  }
  const info = { version, revision: revision || 'unknown', node_version: process.version };
  if (env === process.env) cached = info;
  return info;
}

/** Register `<prefix>_build_info` (always 1) on the program's registry. */
export function registerBuildInfo(registry: Registry, prefix: string, info: BuildInfo = buildInfo()): Gauge {
  const g = new Gauge({ name: `${prefix}_build_info`, help: `A metric with a constant 1 labelled by version, revision and Node.js version of the running ${prefix} build.`, labelNames: ['version', 'revision', 'node_version'], registers: [registry] });
  g.set({ ...info }, 1);
  return g;
}
