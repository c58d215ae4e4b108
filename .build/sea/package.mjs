// One tarball per architecture: the executable, its prebuilds, the systemd unit, the udev rule
// example, a sample config, the install script, the deploy README and Node's licence.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files from agent/deploy that go into every tarball (source name -> name in the tarball). */
export const DEPLOY_FILES = [
  ['gsmjobs-agent.service', 'gsmjobs-agent.service'],
  ['agent.example.yaml', 'agent.example.yaml'],
  ['install.sh', 'install.sh'],
  ['99-gsmmodem.rules', '99-gsmmodem.rules'],
  ['README.md', 'README.md'],
  ['gsmjobs-agent-doctor', 'gsmjobs-agent-doctor'],
];

/**
 * Stage and pack dist/gsmjobs-agent-<version>-linux-<arch>.tar.gz.
 * Layout inside: gsmjobs-agent-<version>-linux-<arch>/{gsmjobs-agent, prebuilds/linux-<arch>/..., ...}
 */
export function packTarball({ root, outDir, workDir, arch, version, executable, prebuildsDir, nodeLicense, manifest, epoch, gzipLevel = 6 }) {
  const name = `gsmjobs-agent-${version}-linux-${arch}`;
  const stage = join(workDir, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'prebuilds'), { recursive: true });
  copyFileSync(executable, join(stage, 'gsmjobs-agent'));
  chmodSync(join(stage, 'gsmjobs-agent'), 0o755);
  cpSync(prebuildsDir, join(stage, 'prebuilds', `linux-${arch}`), { recursive: true });
  for (const [from, to] of DEPLOY_FILES) copyFileSync(join(root, 'agent', 'deploy', from), join(stage, to));
  chmodSync(join(stage, 'install.sh'), 0o755);
  chmodSync(join(stage, 'gsmjobs-agent-doctor'), 0o755);
  copyFileSync(nodeLicense, join(stage, 'LICENSE.node'));
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const tarball = join(outDir, `${name}.tar.gz`);
  const tmp = `${tarball}.tmp-${process.pid}`;
  const mtime = `@${epoch}`;
  const tar = spawnSync(
    'tar',
    [
      `--use-compress-program=gzip -${gzipLevel} -n`,
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=${mtime}`,
      '-C',
      workDir,
      '-cf',
      tmp,
      name,
    ],
    { encoding: 'utf8' },
  );
  if (tar.error || tar.status !== 0) throw new Error(`tar failed: ${tar.error?.message ?? tar.stderr}`);
  renameSync(tmp, tarball);
  rmSync(stage, { recursive: true, force: true });
  return tarball;
}
