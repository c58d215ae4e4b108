// Hub on PostgreSQL (issue 20): 100,000 jobs over 20,000 devices and 5 metrics in one platform,
// the hub's store on a throwaway PostgreSQL 15 (the leader's working set over the port), a real
// Prometheus scraping the 100,000 series. Figures: the working set's load at start, the poll
// cycle (first and steady median), and Prometheus's own evaluation of the same rules (one alerting
// rule per enabled job, `<metric>{device_id="..."} == 0 for 60s`, one rule group, its
// prometheus_rule_group_last_duration_seconds) in the same run: target hub cycle <= 0.5x.
// BENCH_HUB_PG_JOBS=20000 for a smaller run.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import type { Job } from '../../hub/model/job.js';
import { PgStore } from '../../hub/store/pg/adapter.js';
import { scopeOf } from '../../hub/store/port.js';
import { startPostgres } from '../support/postgres.js';
import { startPrometheus } from '../support/prometheus.js';
import type { Bench, BenchResult } from './harness.js';
import { rssMiB } from './harness.js';
import { benchJob, METRICS, percentile } from './store-jobs.js';

/** The hub's production flags (hub/deploy/gsmjobs-hub.service): its young generation. */
export const nodeFlags = ['--max-semi-space-size=64'];

const JOBS = Number(process.env.BENCH_HUB_PG_JOBS ?? 100_000);
const DEVICES = JOBS / 5;
const ADMIN = 'bench-admin-token-0123456789abcdefgh';

function exposition(): string {
  const out: string[] = [];
  for (const m of METRICS) {
    out.push(`# TYPE ${m} gauge`);
    for (let d = 0; d < DEVICES; d++) out.push(`${m}{platform_id="ar",device_id="${10000 + d}",name="Player_${d}"} ${m === 'signage_device_online' ? (d % 100 === 0 ? 0 : 1) : d + 1}`);
  }
  return `${out.join('\n')}\n`;
}

function rules(jobs: readonly Job[]): string {
  const lines = ['groups:', '  - name: gsmjobs', '    interval: 60s', '    rules:'];
  for (const j of jobs) {
    if (!j.enabled) continue;
    const c = j.conditions[0];
    lines.push(`      - alert: ${j.id}`, `        expr: ${c?.metric}{device_id="${j.device.key}"} == 0`, '        for: 60s');
  }
  return `${lines.join('\n')}\n`;
}

async function ruleGroupSeconds(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^prometheus_rule_group_last_duration_seconds\{[^}]*rule_group="[^"]*gsmjobs"[^}]*\} (\S+)$/m.exec(text);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
}

const T0 = Date.now();
const phase = (what: string) => console.log(`  [${((Date.now() - T0) / 1000).toFixed(1)} s] ${what}`);

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  const jobs = Array.from({ length: JOBS }, (_, n) => benchJob('ar', n));
  const body = exposition();
  const target = createServer((_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const cluster = await startPostgres({ settings: { shared_buffers: '256MB' } });
  const promDir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-pgcycle-'));
  const prom = await startPrometheus({ dir: promDir, scrape: [{ job: 'bench', targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`], scrapeInterval: '15s' }] });
  const url = await cluster.createDatabase('hubcycle');
  let hub: Hub | null = null;
  try {
    // Seed through the port (bulk, 5,000 per transaction), as `hub store copy` or POST /jobs:bulk would.
    phase('seeding');
    const seed = await PgStore.open({ connectionString: url, max: 4 });
    const at = new Date().toISOString();
    await seed.platforms.put({ id: 'ar', name: 'AR', prometheus: { url: prom.url, headers: {} }, tokens: [], events_password: null, created_at: at });
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i += 5000) await seed.jobs.putMany(scopeOf('ar'), jobs.slice(i, i + 5000));
    results.push({ name: `hub-pg: seed ${JOBS} jobs (5,000 per transaction)`, value: Math.round(performance.now() - t0), unit: 'ms' });
    await seed.pool.query('VACUUM ANALYZE');
    await seed.close();

    hub = new Hub(
      hubConfigSchema.parse({
        http: { port: 0 },
        data_dir: mkdtempSync(join(tmpdir(), 'gsmjobs-bench-pgcycle-data-')),
        admin_token: ADMIN,
        store: { kind: 'postgres', url },
        mqtt: { mode: 'embedded', port: 0 },
        poll_interval_s: 3600,
        // 20,000 series per metric in one answer: more than the 5 s default on a loaded machine.
        prometheus: { timeout_ms: Number(process.env.BENCH_HUB_PG_TIMEOUT_MS ?? 60_000), concurrency: 5 },
      }),
      { log: silentLogger },
    );
    phase('starting the hub');
    const rss0 = rssMiB();
    const l0 = performance.now();
    await hub.start();
    results.push({ name: `hub-pg: start, the working set loaded (${JOBS} jobs)`, value: Math.round(performance.now() - l0), unit: 'ms', notes: `RSS +${Math.round(rssMiB() - rss0)} MiB` });

    phase('waiting for Prometheus');
    await prom.waitForTargets('bench', 60_000);
    for (let i = 0; i < 200; i++) {
      const r = await prom.query('count(signage_device_online{platform_id="ar"})');
      if (Number(r[0]?.value[1]) === DEVICES) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    phase('first cycle');
    const first = await hub.poller.cycle();
    results.push({ name: `hub-pg: first cycle (${JOBS} jobs, every runtime written)`, value: Math.round(first.durationMs), unit: 'ms', notes: `evaluated ${first.evaluated}, requests ${first.requests}` });
    phase('steady cycles');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await hub.poller.cycle()).durationMs);
    const hubMs = percentile(times, 50);

    // Prometheus evaluating the same conditions as alerting rules, in the same run.
    phase('Prometheus rules');
    writeFileSync(join(promDir, 'rules.yml'), rules(jobs));
    const cfg = readFileSync(join(promDir, 'prometheus.yml'), 'utf8');
    writeFileSync(join(promDir, 'prometheus.yml'), `${cfg}rule_files:\n  - ${JSON.stringify(join(promDir, 'rules.yml'))}\n`);
    const reload = await fetch(`${prom.url}/-/reload`, { method: 'POST' });
    if (!reload.ok) throw new Error(`prometheus reload: ${reload.status} ${await reload.text()}`);
    let promS: number | null = null;
    const deadline = Date.now() + 240_000;
    while (promS === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      promS = await ruleGroupSeconds(prom.url);
    }
    if (promS === null) throw new Error('Prometheus did not finish evaluating the rule group in 240 s');
    const promMs = promS * 1000;
    results.push({ name: `hub-pg: Prometheus evaluating the same ${jobs.filter((j) => j.enabled).length} rules (one group)`, value: Math.round(promMs), unit: 'ms' });
    results.push({ name: `hub-pg: steady cycle, median of 5 (${JOBS} jobs)`, value: Math.round(hubMs), unit: 'ms', notes: `min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))}` });
    results.push({ name: 'hub-pg: cycle / Prometheus rule evaluation', value: Number((hubMs / promMs).toFixed(3)), unit: 'x', target: { value: 0.5, better: 'lower' } });
  } finally {
    await hub?.stop().catch(() => undefined);
    await prom.destroy();
    rmSync(promDir, { recursive: true, force: true });
    target.close();
    await cluster.destroy();
  }
  return results;
};
export default bench;
