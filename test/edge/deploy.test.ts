// Deployment files: the systemd units (parsed, and checked by systemd-analyze verify), the udev
// rule example, and install.sh run twice into a staging root (idempotent, never overwrites a
// config, updates what changed, removes stale addons).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const units = {
  agent: join(root, 'agent', 'deploy', 'gsmjobs-agent.service'),
  hub: join(root, 'hub', 'deploy', 'gsmjobs-hub.service'),
  exporter: join(root, 'exporter', 'deploy', 'gsmjobs-exporter.service'),
};
const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Parse a unit file into section -> key -> values (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit line: ${line}`);
    const list = current.get(kv[1] as string) ?? [];
    list.push(kv[2] as string);
    current.set(kv[1] as string, list);
  }
  return sections;
}

describe('systemd units', () => {
  for (const [name, file] of Object.entries(units)) {
    it(`${name}: restarts forever as a dedicated user with only its data dir writable`, () => {
      const unit = parseUnit(readFileSync(file, 'utf8'));
      const svc = unit.get('Service');
      expect(svc).toBeDefined();
      const one = (k: string) => svc?.get(k)?.at(-1);
      expect(one('Restart')).toBe('always');
      expect(unit.get('Unit')?.get('StartLimitIntervalSec')?.[0]).toBe('0');
      expect(one('User')).toMatch(/^gsmjobs/);
      expect(one('User')).not.toBe('root');
      const state = one('StateDirectory');
      expect(state).toBe(`gsmjobs-${name}`);
      expect(one('ReadWritePaths')).toBe(`/var/lib/${state}`);
      expect(one('ProtectSystem')).toBe('strict');
      expect(one('NoNewPrivileges')).toBe('yes');
      expect(one('CapabilityBoundingSet')).toBe('');
      // V8 needs W+X pages for its JIT.
      expect(svc?.has('MemoryDenyWriteExecute')).toBe(false);
      expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
      if (name === 'agent') {
        expect(one('SupplementaryGroups')).toBe('dialout');
        expect(one('DevicePolicy')).toBe('closed');
        expect(svc?.get('DeviceAllow')).toEqual(expect.arrayContaining(['char-ttyUSB rw', 'char-ttyACM rw', 'char-ttyAMA rw', 'char-ttyS rw']));
        expect(one('ExecStart')).toBe('/opt/gsmjobs-agent/gsmjobs-agent run --config /etc/gsmjobs/agent.yaml');
        expect(svc?.has('PrivateDevices')).toBe(false);
      } else {
        expect(one('PrivateDevices')).toBe('yes');
        // The exporter's node keeps its heap close to the live data (issue 21, exporter/README.md);
        // the hub's young generation is sized for its API's pauses at 100k jobs (issue 20, hub/README.md).
        const flags = name === 'exporter' ? '--max-semi-space-size=8 --heap-growing-percent=20 --expose-gc ' : '--max-semi-space-size=64 ';
        expect(one('ExecStart')).toBe(`/usr/bin/node ${flags}/opt/gsmjobs/dist/${name}/index.mjs --config /etc/gsmjobs/${name}.yaml`);
      }
    });
  }

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.runIf(analyze.status === 0)('pass systemd-analyze verify (directives known to this systemd)', () => {
    const dir = temp('gsmjobs-units-');
    const fakeExe = join(dir, 'fake-exe');
    writeFileSync(fakeExe, '#!/bin/sh\nexit 0\n');
    chmodSync(fakeExe, 0o755);
    const files = Object.values(units).map((f) => {
      const text = readFileSync(f, 'utf8')
        .replace(/^ExecStart=\S+/m, `ExecStart=${fakeExe}`)
        .replace(/^Documentation=.*$/m, 'Documentation=man:systemd.exec(5)');
      const out = join(dir, f.split('/').pop() as string);
      writeFileSync(out, text);
      return out;
    });
    const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
    // verify also reports on unrelated system units on some hosts: only our files matter.
    const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('gsmjobs-'));
    expect(ours).toEqual([]);
  });
});

describe('udev rule example', () => {
  const text = readFileSync(join(root, 'agent', 'deploy', '99-gsmmodem.rules'), 'utf8');
  const rules = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('names the AT port /dev/gsmmodem for SIM7600, EC25/EG25 and E3372 (stick mode)', () => {
    const token = /^\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|=)\s*"([^"]*)"\s*$/;
    const ids: string[] = [];
    for (const rule of rules) {
      const parts = rule.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
      for (const p of parts) expect(p, rule).toMatch(token);
      if (rule.includes('SYMLINK')) {
        expect(rule).toContain('SYMLINK+="gsmmodem"');
        expect(rule).toContain('GROUP="dialout"');
        const vid = /ENV\{ID_VENDOR_ID\}=="([0-9a-f]{4})"/.exec(rule)?.[1];
        const pid = /ENV\{ID_MODEL_ID\}=="([0-9a-f]{4})"/.exec(rule)?.[1];
        expect(rule).toMatch(/ENV\{ID_USB_INTERFACE_NUM\}=="0\d"/);
        ids.push(`${vid}:${pid}`);
      }
    }
    expect(ids).toEqual(['1e0e:9001', '2c7c:0125', '12d1:1506']);
    // The firmware notes name the same USB ids for the technician.
    const notes = readdirSync(join(root, 'firmware-notes')).map((f) => readFileSync(join(root, 'firmware-notes', f), 'utf8')).join('\n');
    for (const id of ids) expect(notes).toContain(id);
  });
});

/** path -> sha256 and mode of every file and link under dir. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) out[relative(dir, p)] = `link`;
      else out[relative(dir, p)] = `${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)} ${(statSync(p).mode & 0o777).toString(8)}`;
    }
  };
  walk(dir);
  return out;
}

function fakeRelease(version: string): string {
  const dir = temp('gsmjobs-release-');
  writeFileSync(join(dir, 'gsmjobs-agent'), `#!/bin/sh\necho "gsmjobs-agent ${version}"\n`);
  chmodSync(join(dir, 'gsmjobs-agent'), 0o755);
  mkdirSync(join(dir, 'prebuilds', 'linux-x64'), { recursive: true });
  writeFileSync(join(dir, 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.glibc.node'), `addon ${version}`);
  writeFileSync(join(dir, 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.musl.node'), `musl ${version}`);
  for (const f of ['gsmjobs-agent.service', 'gsmjobs-agent-doctor', 'agent.example.yaml', 'install.sh', '99-gsmmodem.rules', 'README.md']) {
    copyFileSync(join(root, 'agent', 'deploy', f), join(dir, f));
  }
  chmodSync(join(dir, 'install.sh'), 0o755);
  writeFileSync(join(dir, 'LICENSE.node'), 'Node.js licence');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ program: 'gsmjobs-agent', version, arch: 'x64' }, null, 2));
  return dir;
}

function install(release: string, args: string[]) {
  const r = spawnSync('bash', [join(release, 'install.sh'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('install.sh (staging root)', () => {
  it('installs, is a no-op the second time, keeps an edited config, and updates what changed', () => {
    const stage = temp('gsmjobs-stage-');
    const v1 = fakeRelease('1.0.0');

    const first = install(v1, ['--destdir', stage]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^installed {2}\/opt\/gsmjobs-agent\/gsmjobs-agent$/m);
    expect(first.out).toMatch(/^installed {2}\/etc\/gsmjobs\/agent\.yaml$/m);
    expect(first.out).toMatch(/^installed {2}\/etc\/systemd\/system\/gsmjobs-agent\.service$/m);
    expect(first.out).toMatch(/^installed {2}\/etc\/udev\/rules\.d\/99-gsmmodem\.rules$/m);
    expect(first.out).toMatch(/^installed {2}\/usr\/local\/sbin\/gsmjobs-agent-doctor$/m);
    expect(statSync(join(stage, 'usr', 'local', 'sbin', 'gsmjobs-agent-doctor')).mode & 0o777).toBe(0o755);
    const exe = join(stage, 'opt', 'gsmjobs-agent', 'gsmjobs-agent');
    expect(spawnSync(exe, [], { encoding: 'utf8' }).stdout).toBe('gsmjobs-agent 1.0.0\n');
    expect(statSync(join(stage, 'etc', 'gsmjobs', 'agent.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stage, 'etc', 'gsmjobs', 'agent.yaml')).mode & 0o777).toBe(0o640);
    expect(existsSync(join(stage, 'var', 'lib', 'gsmjobs-agent'))).toBe(true);

    // A technician edits the config; the second run changes nothing at all.
    const config = join(stage, 'etc', 'gsmjobs', 'agent.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n# edited on site\nsite: site-042\n`);
    const before = snapshot(stage);
    const second = install(v1, ['--destdir', stage]);
    expect(second.code, second.err).toBe(0);
    expect(second.out).not.toMatch(/^(installed|removed|linked) /m);
    expect(second.out).toMatch(/^kept {7}\/etc\/gsmjobs\/agent\.yaml/m);
    expect(snapshot(stage)).toEqual(before);
    expect(readFileSync(config, 'utf8')).toContain('site: site-042');

    // A new release: new executable, the musl addon dropped; config still kept.
    const v2 = fakeRelease('2.0.0');
    rmSync(join(v2, 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.musl.node'));
    const third = install(v2, ['--destdir', stage]);
    expect(third.code, third.err).toBe(0);
    expect(third.out).toMatch(/^installed {2}\/opt\/gsmjobs-agent\/gsmjobs-agent$/m);
    expect(third.out).toMatch(/^removed {4}\/opt\/gsmjobs-agent\/prebuilds\/linux-x64\/@serialport\+bindings-cpp\.musl\.node$/m);
    expect(spawnSync(exe, [], { encoding: 'utf8' }).stdout).toBe('gsmjobs-agent 2.0.0\n');
    expect(readdirSync(join(stage, 'opt', 'gsmjobs-agent', 'prebuilds', 'linux-x64'))).toEqual(['@serialport+bindings-cpp.glibc.node']);
    expect(readFileSync(config, 'utf8')).toContain('site: site-042');
  });

  it('follows --prefix and --user in the unit it installs', () => {
    const stage = temp('gsmjobs-stage-');
    const r = install(fakeRelease('1.0.0'), ['--destdir', stage, '--prefix', '/srv/gsm', '--user', 'gsmsite']);
    expect(r.code, r.err).toBe(0);
    const unit = readFileSync(join(stage, 'etc', 'systemd', 'system', 'gsmjobs-agent.service'), 'utf8');
    expect(unit).toContain('ExecStart=/srv/gsm/gsmjobs-agent run --config /etc/gsmjobs/agent.yaml');
    expect(unit).toMatch(/^User=gsmsite$/m);
    expect(unit).toMatch(/^Group=gsmsite$/m);
    const doctor = readFileSync(join(stage, 'usr', 'local', 'sbin', 'gsmjobs-agent-doctor'), 'utf8');
    expect(doctor).toMatch(/^EXE=\/srv\/gsm\/gsmjobs-agent$/m);
    expect(doctor).toMatch(/^RUN_AS=gsmsite$/m);
    expect(existsSync(join(stage, 'srv', 'gsm', 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.glibc.node'))).toBe(true);
  });

  it('refuses unknown options and an incomplete release directory with a clear message', () => {
    const release = fakeRelease('1.0.0');
    const bad = install(release, ['--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown option --frobnicate');
    const broken = temp('gsmjobs-broken-');
    cpSync(release, broken, { recursive: true });
    rmSync(join(broken, 'gsmjobs-agent'));
    const r = install(broken, ['--destdir', temp('gsmjobs-stage-')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('gsmjobs-agent is missing next to install.sh');
  });
});

/** Can this process make a private mount namespace (root with CAP_SYS_ADMIN, util-linux unshare)? */
function canUnshare(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
}

describe('install.sh for real, as root, inside a private mount namespace', () => {
  // /etc is a copy and /opt, /usr/local, /var/lib, /var/log are empty tmpfs in the namespace: the
  // user, group, files and permissions are real, and nothing leaks to this machine.
  it.runIf(canUnshare())('creates the user in dialout, sets owners and modes, and changes nothing on a second run', () => {
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
    const release = fakeRelease('1.0.0');
    writeFileSync(join(release, 'manifest.json'), JSON.stringify({ program: 'gsmjobs-agent', version: '1.0.0', arch }));
    const etc = temp('gsmjobs-etc-');
    const script = [
      'set -e',
      `cp -a /etc/. ${etc}/`,
      `mount --bind ${etc} /etc`,
      'for d in /opt /usr/local /var/lib /var/log; do mount -t tmpfs tmpfs "$d"; done',
      'mkdir -p /usr/local/bin /usr/local/sbin',
      `echo "=== first"; bash ${release}/install.sh`,
      `echo "=== second"; bash ${release}/install.sh`,
      'echo "=== state"',
      'id -nG gsmjobs',
      'getent passwd gsmjobs | cut -d: -f6,7',
      'stat -c "%n %U:%G %a" /etc/gsmjobs/agent.yaml /etc/gsmjobs/agent.env /var/lib/gsmjobs-agent /opt/gsmjobs-agent/gsmjobs-agent /usr/local/sbin/gsmjobs-agent-doctor',
      'gsmjobs-agent',
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `/usr/local/bin:${process.env.PATH ?? ''}` } });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [, first = '', second = '', state = ''] = r.stdout.split(/^=== \w+$/m);
    expect(first).toMatch(/^created {4}group gsmjobs$/m);
    expect(first).toMatch(/^created {4}user gsmjobs$/m);
    expect(first).toMatch(/^added {6}gsmjobs to dialout$/m);
    expect(first).toMatch(/^skipped {4}systemctl \(systemd is not running here\)$/m);
    expect(second).not.toMatch(/^(created|added|installed|removed|linked) /m);
    const lines = state.trim().split('\n');
    expect(lines[0]?.split(' ').sort()).toEqual(['dialout', 'gsmjobs']);
    expect(lines[1]).toBe('/var/lib/gsmjobs-agent:/usr/sbin/nologin');
    expect(lines.slice(2, 7)).toEqual([
      '/etc/gsmjobs/agent.yaml root:gsmjobs 640',
      '/etc/gsmjobs/agent.env root:root 600',
      '/var/lib/gsmjobs-agent gsmjobs:gsmjobs 750',
      '/opt/gsmjobs-agent/gsmjobs-agent root:root 755',
      '/usr/local/sbin/gsmjobs-agent-doctor root:root 755',
    ]);
    expect(lines[7]).toBe('gsmjobs-agent 1.0.0');
    // Nothing leaked out of the namespace.
    expect(existsSync('/opt/gsmjobs-agent')).toBe(false);
    expect(spawnSync('getent', ['passwd', 'gsmjobs']).status).not.toBe(0);
  });
});

describe('gsmjobs-agent-doctor helper', () => {
  it.runIf(process.getuid?.() === 0)('runs doctor as the service user with the config and the secrets of agent.env', () => {
    const dir = temp('gsmjobs-doctor-');
    const fake = join(dir, 'fake-agent');
    writeFileSync(fake, '#!/bin/sh\necho "args: $*"\necho "pin: $GSMJOBS_AGENT_MODEM__PIN user: $(id -un)"\nexit 3\n');
    chmodSync(fake, 0o755);
    const helper = join(dir, 'gsmjobs-agent-doctor');
    writeFileSync(
      helper,
      readFileSync(join(root, 'agent', 'deploy', 'gsmjobs-agent-doctor'), 'utf8').replace(/^EXE=.*$/m, `EXE=${fake}`).replace(/^RUN_AS=.*$/m, 'RUN_AS=root'),
    );
    chmodSync(helper, 0o755);
    writeFileSync(join(dir, 'agent.env'), '# secrets\nGSMJOBS_AGENT_MODEM__PIN=4321\n');
    const r = spawnSync(helper, ['--port', '/dev/ttyUSB3'], {
      encoding: 'utf8',
      env: { ...process.env, GSMJOBS_AGENT_CONFIG: join(dir, 'agent.yaml'), GSMJOBS_AGENT_ENV_FILE: join(dir, 'agent.env') },
    });
    expect(r.stdout).toContain(`args: doctor --config ${join(dir, 'agent.yaml')} --port /dev/ttyUSB3`);
    expect(r.stdout).toContain('pin: 4321 user: root');
    expect(r.status).toBe(3); // doctor's exit code is passed on
  });
});
