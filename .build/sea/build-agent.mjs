#!/usr/bin/env node
// npm run build:agent: the agent as a Node single executable for linux-arm64 and linux-x64.
//
//   node .build/sea/build-agent.mjs [--entry agent/main.ts] [--arch arm64,x64] [--out dist]
//        [--cache .data/sea-cache] [--no-tarball] [--no-smoke] [--gzip 1..9] [--format auto|cjs|esm]
//        [--exec-argv '--max-semi-space-size=1']
//   node .build/sea/build-agent.mjs --pin-node 24.x.y     re-pin node-binaries.json (registry lookup)
//
// Steps: bundle the ESM entry as CommonJS (esbuild) -> fetch and verify the pinned official Node
// binaries (npm pack node-linux-<arch>) -> make the SEA blob with the host's binary of that same
// version -> inject it into each architecture's binary (postject) -> copy the serialport addon
// to prebuilds/linux-<arch>/ -> smoke-run the host executable with --version -> one tarball per
// architecture. See agent/deploy/README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleForSea } from './bundle.mjs';
import { ensureNodeBinary, pinVersion, readPins } from './node-binaries.mjs';
import { packTarball } from './package.mjs';
import { injectBlob, makeBlob } from './sea.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    entry: { type: 'string' },
    arch: { type: 'string', default: 'arm64,x64' },
    out: { type: 'string', default: 'dist' },
    cache: { type: 'string' },
    'no-tarball': { type: 'boolean', default: false },
    'no-smoke': { type: 'boolean', default: false },
    gzip: { type: 'string', default: '6' },
    format: { type: 'string', default: 'auto' },
    // Embedded in the executable (a SEA takes no node flags on its command line). A 1 MiB
    // semi-space keeps V8's young generation from growing to tens of MiB of resident memory on
    // a Pi; see test/bench/agent-process.bench.ts for the figures. Empty string: none.
    'exec-argv': { type: 'string', default: '--max-semi-space-size=1' },
    'pin-node': { type: 'string' },
  },
});

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[build:agent ${elapsed()}] ${msg}`);
const abs = (p) => (isAbsolute(p) ? p : join(root, p));

if (values['pin-node']) {
  const pins = pinVersion(values['pin-node']);
  log(`pinned Node ${pins.version}: ${Object.values(pins.packages).map((p) => `${p.name} ${p.integrity}`).join(', ')}`);
  process.exit(0);
}

const defaultEntry = join(root, 'agent', 'main.ts');
const entry = values.entry ? abs(values.entry) : defaultEntry;
if (!existsSync(entry)) {
  console.error(`build:agent: entry ${relative(root, entry)} does not exist${values.entry ? '' : ' yet (pass --entry <file>, e.g. test/edge/fixtures/modem-probe.ts)'}`);
  process.exit(2);
}
const archs = values.arch.split(',').map((a) => a.trim()).filter(Boolean);
for (const a of archs) if (!['x64', 'arm64'].includes(a)) throw new Error(`--arch: unsupported ${a} (x64, arm64)`);
const outDir = abs(values.out);
const cacheDir = abs(values.cache ?? process.env.GSMJOBS_SEA_CACHE ?? '.data/sea-cache');
const workDir = join(outDir, `.sea-work-${process.pid}`);
const hostArch = process.arch;
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(hostArch)) {
  throw new Error(`build:agent runs on linux x64 or arm64 (the blob is made by the downloaded Node binary), not ${process.platform}-${hostArch}`);
}
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const pins = readPins();
mkdirSync(workDir, { recursive: true });

// 1. bundle (CommonJS; ESM in an asset when the entry has top-level await)
const b = await bundleForSea({ entry, workDir, format: values.format });
log(`bundled ${relative(root, entry)} as ${b.format} (${(b.bytes / 1024).toFixed(0)} KiB, ${b.inputs} inputs)`);

// 2. official binaries (the host's one always: it makes the blob)
const binaries = {};
for (const a of new Set([hostArch, ...archs])) binaries[a] = ensureNodeBinary({ arch: a, pins, cacheDir, log });
const hostNode = binaries[hostArch].node;
const reported = spawnSync(hostNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (reported !== `v${pins.version}`) throw new Error(`${hostNode} reports ${reported}, expected v${pins.version}`);
log(`Node ${reported} binaries ready (${Object.keys(binaries).join(', ')}), cache ${relative(root, cacheDir) || cacheDir}`);

// 3. blob, made by the same Node version that runs it
const execArgv = values['exec-argv'].split(/\s+/).filter(Boolean);
const blob = makeBlob({ hostNode, mainScript: b.mainScript, assets: b.assets, workDir, execArgv });
log(`SEA blob ${(readFileSync(blob).length / 1024).toFixed(0)} KiB${execArgv.length ? `, execArgv ${execArgv.join(' ')}` : ''}`);

// 4. inject + addon beside the executable
const addonRoot = join(root, 'node_modules', '@serialport', 'bindings-cpp', 'prebuilds');
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const outputs = [];
for (const a of archs) {
  const target = join(outDir, `agent-linux-${a}`);
  await injectBlob({ node: binaries[a].node, blob, target });
  const prebuilds = join(outDir, 'prebuilds', `linux-${a}`);
  rmSync(prebuilds, { recursive: true, force: true });
  cpSync(join(addonRoot, `linux-${a}`), prebuilds, { recursive: true });
  log(`injected ${relative(root, target) || target}, addon in ${relative(root, prebuilds) || prebuilds}`);
  outputs.push({ arch: a, target, prebuilds });
}

// 5. smoke: the host's executable starts and prints its version
if (!values['no-smoke'] && archs.includes(hostArch)) {
  const exe = join(outDir, `agent-linux-${hostArch}`);
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${exe} --version failed (${r.status ?? r.signal}): ${r.stderr.slice(-3000)}`);
  log(`smoke: ${r.stdout.trim()}`);
}

// 6. tarballs
if (!values['no-tarball']) {
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  const epoch = process.env.SOURCE_DATE_EPOCH ?? (git.status === 0 && git.stdout.trim() ? git.stdout.trim() : String(Math.floor(Date.now() / 1000)));
  for (const o of outputs) {
    const manifest = {
      program: 'gsmjobs-agent',
      version,
      arch: o.arch,
      node: pins.version,
      nodePackage: { name: pins.packages[o.arch].name, integrity: binaries[o.arch].integrity },
      entry: relative(root, entry),
      bundle: b.format,
      sha256: { 'gsmjobs-agent': sha256(o.target) },
    };
    const tarball = packTarball({
      root,
      outDir,
      workDir,
      arch: o.arch,
      version,
      executable: o.target,
      prebuildsDir: o.prebuilds,
      nodeLicense: binaries[o.arch].license,
      manifest,
      epoch,
      gzipLevel: Number(values.gzip),
    });
    log(`packed ${relative(root, tarball) || tarball} (${(statSync(tarball).size / 1024 / 1024).toFixed(1)} MiB)`);
  }
}
// 7. checksums of what a technician downloads
const sums = [...outputs.map((o) => o.target)];
if (!values['no-tarball']) for (const o of outputs) sums.push(join(outDir, `gsmjobs-agent-${version}-linux-${o.arch}.tar.gz`));
writeFileSync(join(outDir, 'SHA256SUMS'), sums.map((f) => `${sha256(f)}  ${relative(outDir, f)}\n`).join(''));
rmSync(workDir, { recursive: true, force: true });
log('done');
