// The exporter's entry point: configuration errors are printed with their field path and end
// with exit code 2, without echoing a token.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess } from '../support/process.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-exp-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const p = startProcess(process.execPath, ['--import', 'tsx', join(root, 'exporter/main.ts'), '--config', file], { cwd: root, env: { ...process.env, ...env }, name: 'exporter' });
  const code = await p.exited;
  return { code, output: p.output() };
};

describe('exporter main', () => {
  it('exits 2 naming the bad field', async () => {
    const r = await run('accounts:\n  main: { platform: addreality, platform_id: "Not Valid", base_url: "https://x.test", token: "tok-secret-998877" }\n');
    expect(r.code).toBe(2);
    expect(r.output).toContain('accounts.main.platform_id');
    expect(r.output).not.toContain('tok-secret-998877');
  });

  it('exits 2 when a token cannot be found', async () => {
    const r = await run('accounts:\n  main: { platform: addreality, platform_id: demo, base_url: "https://x.test", token_env: NO_SUCH_VAR_X }\n');
    expect(r.code).toBe(2);
    expect(r.output).toContain('accounts.main.token_env: environment variable NO_SUCH_VAR_X is not set');
  });
});
