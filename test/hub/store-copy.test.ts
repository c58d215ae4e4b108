// `hub store copy`: a lowdb data directory moved into an empty PostgreSQL database (throwaway
// PostgreSQL 15), every aggregate compared through the two ports; a second copy into the now
// non-empty database is refused and changes nothing; usage errors exit 2.
import { describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../hub/cli.js';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { scopeOf, type StorePort } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import { useCluster } from '../support/pg-cluster.js';
import { tempDir } from './fixtures.js';
import { A, controlDevice, delivery, execution, job, platform, runtime, site, webhook } from './store-contract-fixtures.js';

const cluster = useCluster();

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env, stopSignal: () => new Promise(() => undefined), onReload: () => undefined };
  return { cli, out, err };
}

async function seedLowdb(dir: string): Promise<void> {
  const store = new HubStore(dir);
  await store.load();
  const port = await LowdbStore.open(store, dir);
  await port.platforms.put(platform('alpha'));
  await port.platforms.put(platform('beta'));
  await port.sites.put(A, site('alpha', 's1'));
  await port.controlDevices.put(A, controlDevice('alpha', 'cd1'));
  await port.webhooks.put(A, webhook('alpha', 'w1'));
  await port.jobs.putMany(A, Array.from({ length: 50 }, (_, i) => job('alpha', `j${i}`)));
  await port.jobs.put(scopeOf('beta'), job('beta', 'jb'));
  await port.runtime.putMany(A, new Map([['j1', runtime('firing', 1000, 'e1')]]));
  await port.executions.commitFiring(A, [execution('alpha', 'e1', { job: 'j1' }), execution('alpha', 'e2', { job: 'j2', created_at: '2026-12-01T11:00:00.000Z' })], new Map());
  await port.inbound.add(A, { id: 'in1', platform_id: 'alpha', site_id: 's1', from: '+7999', text: 'ON', received_at: '2026-12-01T10:00:00.000Z', control_device_id: 'cd1', execution_id: 'e1' }, 100);
  await port.deliveries.put(A, delivery('alpha', 'd1', 'delivered', null));
  await port.remediation.putState(A, { history: { 'alpha/device_id=x': [1000] }, budget: { sent: {}, queue: [] }, recent: [], incidents: [] }, { ifVersion: 0 });
  await port.remediation.markUptime(A, 's1', 1000, true);
  await port.remediation.markUptime(A, 's1', 2000, false);
  await port.close();
  await store.flush();
}

const strip = <T extends object>(list: T[]) => list.map((x) => ({ ...x, version: undefined }));

async function snapshot(port: StorePort) {
  const out: Record<string, unknown> = { platforms: strip(await port.platforms.list()) };
  for (const p of ['alpha', 'beta']) {
    const s = scopeOf(p);
    const { version: _v, ...state } = await port.remediation.state(s);
    out[p] = {
      sites: strip(await port.sites.list(s)),
      devices: strip(await port.controlDevices.list(s)),
      webhooks: strip(await port.webhooks.list(s)),
      jobs: strip(await port.jobs.all(s)),
      runtimes: [...(await port.runtime.all(s))].sort(),
      executions: strip((await port.executions.list(s, { limit: 100, offset: 0 })).items),
      inbound: await port.inbound.list(s, 100),
      deliveries: await port.deliveries.list(s),
      state,
      uptime: await port.remediation.uptimeMarks(s, 's1'),
    };
  }
  return out;
}

describe('hub store copy', () => {
  it('copies a lowdb data dir into an empty PostgreSQL database: the same records through both ports', async () => {
    const dir = tempDir('store-copy');
    await seedLowdb(dir);
    const url = await cluster().createDatabase();
    const a = io();
    const code = await runCli(['store', 'copy', '--data-dir', dir, '--to', url], a.cli);
    expect(a.err.join(''), a.err.join('')).not.toMatch(/failed|usage/);
    expect(code).toBe(0);
    expect(JSON.parse(a.out.join(''))).toMatchObject({ platforms: 2, sites: 1, control_devices: 1, webhooks: 1, jobs: 51, runtimes: 1, executions: 2, inbound: 1, deliveries: 1 });
    expect(a.err.join('')).toMatch(/данные перенесены/);

    const store = new HubStore(dir);
    await store.load();
    const from = await LowdbStore.open(store, dir);
    const to = await PgStore.open({ connectionString: url, max: 2 });
    try {
      const want = await snapshot(from);
      expect(await snapshot(to)).toEqual(want);
      expect((want.alpha as { jobs: unknown[] }).jobs).toHaveLength(50);

      // Again into the same (now not empty) database: refused, nothing changed.
      const b = io({ GSMJOBS_HUB_STORE__URL: url });
      expect(await runCli(['store', 'copy', '--data-dir', dir], b.cli)).toBe(1);
      expect(b.err.join('')).toMatch(/not empty/);
      expect(await snapshot(to)).toEqual(want);
    } finally {
      await to.close();
      await from.close();
    }
  }, 60_000);

  it('usage errors exit 2: no target, not a postgres URL, not a data dir', async () => {
    const dir = tempDir('store-copy-usage');
    expect(await runCli(['store', 'copy', '--data-dir', dir], io().cli)).toBe(2);
    expect(await runCli(['store', 'copy', '--data-dir', dir, '--to', 'mysql://x/y'], io().cli)).toBe(2);
    const c = io();
    expect(await runCli(['store', 'copy', '--data-dir', dir, '--to', 'postgres://127.0.0.1:1/x'], c.cli)).toBe(2);
    expect(c.err.join('')).toMatch(/not a hub data directory/);
    expect(await runCli(['store', 'move'], io().cli)).toBe(2);
  });
});
