// The agent's single executables, built once for this file (npm run build:agent into a temp
// dir, Node binaries from the gitignored npm pack cache): x64 natively, arm64 under
// qemu-aarch64-static with Debian's arm64 cross C library, each printing its version and talking
// AT to a scripted modem on a pty pair; then the x64 release tarball installed with install.sh
// into a staging root runs from there.
//
// Entry: GSMJOBS_EDGE_ENTRY, else agent/main.ts when it exists, else the fixture
// test/edge/fixtures/modem-probe.ts. The fixture is asked `probe --port <tty>`, the agent
// `doctor --port <tty>`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyModem, startAgentSimModem, startPtyModem } from './pty-modem.js';

const root = resolve(import.meta.dirname, '..', '..');
const fixture = 'test/edge/fixtures/modem-probe.ts';
const entry = process.env.GSMJOBS_EDGE_ENTRY ?? (existsSync(join(root, 'agent', 'main.ts')) ? 'agent/main.ts' : fixture);
const isFixture = entry.endsWith('fixtures/modem-probe.ts');
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const pins = JSON.parse(readFileSync(join(root, '.build', 'sea', 'node-binaries.json'), 'utf8')) as { version: string };
const QEMU = process.env.QEMU_AARCH64 ?? '/usr/bin/qemu-aarch64-static';
const SYSROOT = process.env.QEMU_LD_PREFIX ?? '/usr/aarch64-linux-gnu';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Executables of ~125 MB, qemu emulation and tarballs are slow on a loaded 2-core machine. */
const HEAVY = 120_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(cmd: string, args: string[], timeoutMs: number, cwd = root): Promise<Ran> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      stderr += `[spawn] ${err.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// The fixture gets the small scripted modem; the real agent's doctor gets the agent's simulator.
const startModem = () => (isFixture ? startPtyModem() : startAgentSimModem());
const modemArgs = (tty: string) => (isFixture ? ['probe', '--port', tty] : ['doctor', '--port', tty]);

let out = '';
let build: Ran;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'gsmjobs-sea-'));
  // gzip -1: the tarball's content is what is checked here, not its compression ratio.
  build = await run(process.execPath, ['.build/sea/build-agent.mjs', '--entry', entry, '--out', out, '--gzip', '1'], 280_000);
  console.log(`build:agent (${entry}) took ${(build.ms / 1000).toFixed(1)} s\n${build.stdout}`);
  if (build.code !== 0) throw new Error(`build:agent failed (${build.code}):\n${build.stdout}\n${build.stderr}`);
}, 300_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

/** ELF e_machine: 0x3e x86-64, 0xb7 AArch64. */
function elfMachine(file: string): number {
  const head = readFileSync(file).subarray(0, 20);
  expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return head.readUInt16LE(18);
}

describe('npm run build:agent (Node SEA)', () => {
  it('produces an x64 and an arm64 executable with the blob injected, the addon beside them, and a tarball each', () => {
    expect(elfMachine(join(out, 'agent-linux-x64'))).toBe(0x3e);
    expect(elfMachine(join(out, 'agent-linux-arm64'))).toBe(0xb7);
    for (const arch of ['x64', 'arm64']) {
      const bin = readFileSync(join(out, `agent-linux-${arch}`));
      // postject flips the fuse from :0 to :1 when it injects NODE_SEA_BLOB.
      expect(bin.includes(`${SEA_FUSE}:1`)).toBe(true);
      expect(bin.includes(`${SEA_FUSE}:0`)).toBe(false);
      const addons = readdirSync(join(out, 'prebuilds', `linux-${arch}`));
      expect(addons.some((f) => f.startsWith('@serialport+bindings-cpp') && f.includes('glibc') && f.endsWith('.node'))).toBe(true);
      expect(existsSync(join(out, `gsmjobs-agent-${pkgVersion}-linux-${arch}.tar.gz`))).toBe(true);
    }
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/^[0-9a-f]{64} {2}agent-linux-arm64$/m);
    expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  gsmjobs-agent-${pkgVersion.replace(/\./g, '\\.')}-linux-x64\\.tar\\.gz$`, 'm'));
  }, HEAVY);

  it('x64: prints its version (embedded Node of the pinned version)', async () => {
    const r = await run(join(out, 'agent-linux-x64'), ['--version'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(pkgVersion);
    if (isFixture) expect(r.stdout).toContain(`node v${pins.version} linux-x64`);
  }, HEAVY);

  it('x64: talks AT to a pty modem, with the serialport addon loaded from prebuilds/ beside it', async () => {
    const modem: PtyModem = await startModem();
    try {
      const r = await run(join(out, 'agent-linux-x64'), modemArgs(modem.dte), 60_000);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(modem.received.length).toBeGreaterThan(0);
      expect(modem.received.some((c) => /^AT/i.test(c)), modem.received.join(' | ')).toBe(true);
      if (isFixture) {
        expect(r.stdout).toContain('reply: AT | OK');
        expect(r.stdout).toContain(`addon: ${join(out, 'prebuilds', 'linux-x64')}/@serialport+bindings-cpp`);
      }
    } finally {
      await modem.stop();
    }
  }, HEAVY);

  it('x64: the bundled dependencies work inside the executable', async () => {
    if (!isFixture) return; // the real agent has its own tests for these
    const r = await run(join(out, 'agent-linux-x64'), ['selftest'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cfg: { site: 'demo', retries: 5 }, metric: true, lowdb: 1, mqtt: true, plan: ['ucs2', 1], here: 'file:' });
  }, HEAVY);

  it('arm64 under qemu-aarch64-static: prints its version', async () => {
    const r = await run(QEMU, ['-L', SYSROOT, join(out, 'agent-linux-arm64'), '--version'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(pkgVersion);
    if (isFixture) expect(r.stdout).toContain(`node v${pins.version} linux-arm64`);
  }, HEAVY);

  it('arm64 under qemu-aarch64-static: talks AT to a pty modem with its arm64 addon', async () => {
    const modem = await startModem();
    try {
      const r = await run(QEMU, ['-L', SYSROOT, join(out, 'agent-linux-arm64'), ...modemArgs(modem.dte)], 90_000);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(modem.received.length).toBeGreaterThan(0);
      if (isFixture) {
        expect(r.stdout).toContain('reply: AT | OK');
        expect(r.stdout).toContain(`addon: ${join(out, 'prebuilds', 'linux-arm64')}/@serialport+bindings-cpp.armv8.glibc.node`);
      }
    } finally {
      await modem.stop();
    }
  }, HEAVY);

  it('x64 tarball: holds the release files and, installed by install.sh into a staging root, runs from there', async () => {
    const tarball = join(out, `gsmjobs-agent-${pkgVersion}-linux-x64.tar.gz`);
    const listing = await run('tar', ['-tzf', tarball], 60_000);
    expect(listing.code).toBe(0);
    const top = `gsmjobs-agent-${pkgVersion}-linux-x64/`;
    const names = listing.stdout.split('\n').filter(Boolean).map((n) => n.slice(top.length));
    for (const f of ['gsmjobs-agent', 'install.sh', 'gsmjobs-agent-doctor', 'gsmjobs-agent.service', 'agent.example.yaml', '99-gsmmodem.rules', 'README.md', 'LICENSE.node', 'manifest.json']) {
      expect(names).toContain(f);
    }
    expect(names.some((n) => /^prebuilds\/linux-x64\/@serialport\+bindings-cpp\.glibc\.node$/.test(n))).toBe(true);

    const unpack = join(out, 'unpack');
    const stage = join(out, 'stage');
    expect((await run('mkdir', ['-p', unpack], 5000)).code).toBe(0);
    expect((await run('tar', ['-xzf', tarball, '-C', unpack], 60_000)).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(unpack, top, 'manifest.json'), 'utf8')) as { arch: string; node: string; version: string };
    expect(manifest).toMatchObject({ arch: 'x64', node: pins.version, version: pkgVersion });
    const install = await run('bash', [join(unpack, top, 'install.sh'), '--destdir', stage], 60_000);
    expect(install.code, install.stderr).toBe(0);
    const installed = join(stage, 'usr', 'local', 'bin', 'gsmjobs-agent'); // symlink to /opt/...: resolve inside the stage
    expect(existsSync(join(stage, 'opt', 'gsmjobs-agent', 'gsmjobs-agent'))).toBe(true);
    expect(readFileSync(join(stage, 'etc', 'gsmjobs', 'agent.yaml'), 'utf8')).toContain('port: /dev/gsmmodem');
    expect(installed).toContain(stage);
    const modem = await startModem();
    try {
      const r = await run(join(stage, 'opt', 'gsmjobs-agent', 'gsmjobs-agent'), modemArgs(modem.dte), 60_000);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      if (isFixture) expect(r.stdout).toContain(`addon: ${join(stage, 'opt', 'gsmjobs-agent', 'prebuilds', 'linux-x64')}/`);
    } finally {
      await modem.stop();
    }
  }, HEAVY);
});

describe('npm run build:agent with an entry that uses top-level await (ESM program in a SEA asset)', () => {
  let esmOut = '';
  beforeAll(async () => {
    esmOut = mkdtempSync(join(tmpdir(), 'gsmjobs-sea-esm-'));
    const r = await run(
      process.execPath,
      ['.build/sea/build-agent.mjs', '--entry', 'test/edge/fixtures/modem-probe-tla.ts', '--out', esmOut, '--arch', 'x64', '--no-tarball'],
      200_000,
    );
    console.log(`build:agent (top-level await fixture, x64 only) took ${(r.ms / 1000).toFixed(1)} s`);
    if (r.code !== 0) throw new Error(`build:agent failed (${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    expect(r.stdout).toContain('as esm');
  }, 240_000);
  afterAll(() => {
    if (esmOut) rmSync(esmOut, { recursive: true, force: true });
  });

  it('runs, loads the addon beside it and talks to the pty modem', async () => {
    const exe = join(esmOut, 'agent-linux-x64');
    const version = await run(exe, ['--version'], 30_000);
    expect(version.stdout).toContain(`gsmjobs-agent ${pkgVersion} (node v${pins.version} linux-x64)`);
    const self = await run(exe, ['selftest'], 30_000);
    expect(self.code, self.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(self.stdout)).toMatchObject({ lowdb: 1, mqtt: true, metric: true, here: 'file:' });
    const modem = await startPtyModem();
    try {
      const r = await run(exe, ['probe', '--port', modem.dte], 60_000);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(r.stdout).toContain('reply: AT | OK');
      expect(r.stdout).toContain(`addon: ${join(esmOut, 'prebuilds', 'linux-x64')}/`);
    } finally {
      await modem.stop();
    }
  }, HEAVY);

  it('reports a failure with a short stack trace and a non-zero exit code', async () => {
    const r = await run(join(esmOut, 'agent-linux-x64'), ['probe', '--port', '/nonexistent/tty'], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/tty');
    expect(r.stderr.length).toBeLessThan(20_000); // not the whole program as a data: URL
  }, HEAVY);
});
