// Hub benchmark: 10,000 jobs over 2,000 devices and 5 metrics against a real Prometheus.
// Figures: Prometheus requests per cycle, cycle time (target < 1 s), store write cost, and API
// latency (p95, target < 200 ms) while cycles run.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../hub/common/log.js';
import { hubConfigSchema } from '../../hub/config.js';
import { Hub } from '../../hub/hub.js';
import type { Job } from '../../hub/model/job.js';
import { startPrometheus } from '../support/prometheus.js';
import type { Bench, BenchResult } from './harness.js';

const DEVICES = 2000;
const METRICS = ['signage_device_online', 'signage_device_cpu_temp_celsius', 'signage_device_disk_free_bytes', 'signage_device_uptime_seconds', 'signage_device_last_seen_timestamp_seconds'];
const JOBS = 10_000;
const ADMIN = 'bench-admin-token-0123456789abcdefgh';

function exposition(): string {
  const out: string[] = [];
  for (const m of METRICS) {
    out.push(`# TYPE ${m} gauge`);
    for (let d = 0; d < DEVICES; d++) {
      const v = m === 'signage_device_online' ? (d % 100 === 0 ? 0 : 1) : d;
      out.push(`${m}{platform_id="ar",device_id="${10000 + d}",name="Player_${d}"} ${v}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

const bench: Bench = async () => {
  const body = exposition();
  const target = createServer((_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const prom = await startPrometheus({ scrape: [{ job: 'bench', targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`], scrapeInterval: '5s' }] });
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-hub-'));
  const hub = new Hub(
    hubConfigSchema.parse({
      http: { port: 0 },
      data_dir: dir,
      admin_token: ADMIN,
      mqtt: { mode: 'embedded', port: 0 },
      poll_interval_s: 3600,
      platforms: [{ id: 'ar', name: 'AR', prometheus: { url: prom.url } }],
    }),
    { log: silentLogger },
  );
  const results: BenchResult[] = [];
  try {
    await prom.waitForTargets('bench', 30_000);
    await hub.start();
    const at = new Date().toISOString();
    await hub.store.putSite({ id: 's1', platform_id: 'ar', name: 'S1', mqtt_password: null, created_at: at });
    await hub.store.putControlDevice({ id: 'cd1', platform_id: 'ar', name: 'Socket', phone: '+79160000001', model: 'SIMPAL_D210', site_ids: ['s1'], created_at: at, updated_at: at });
    const jobs: Job[] = [];
    for (let i = 0; i < JOBS; i++) {
      const d = i % DEVICES;
      const metric = METRICS[Math.floor(i / DEVICES) % METRICS.length] as string;
      jobs.push({
        id: `job-${i}`,
        platform_id: 'ar',
        name: `job ${i}`,
        name_auto: false,
        enabled: true,
        device: { key_type: 'device_id', key: String(10000 + d), name: `Player_${d}` },
        conditions: [{ metric, op: metric === 'signage_device_online' ? '==' : '<', value: metric === 'signage_device_online' ? 0 : -1 }],
        combine: 'and',
        for_s: 0,
        no_data: { mode: 'ignore', after_s: 300 },
        windows: null,
        cooldown_s: 1800,
        steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd1', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 }],
        created_at: at,
        updated_at: at,
      });
    }
    const t0 = performance.now();
    await hub.store.putJobs(jobs);
    results.push({ name: 'hub: write 10,000 job definitions (one lowdb write)', value: performance.now() - t0, unit: 'ms' });
    const one = performance.now();
    await hub.store.putJob({ ...jobs[0], name: 'renamed' } as Job);
    results.push({ name: 'hub: change one job with 10,000 stored (lowdb rewrite)', value: performance.now() - one, unit: 'ms' });

    // Wait until Prometheus has every series.
    for (let i = 0; i < 100; i++) {
      const r = await prom.query('count(signage_device_online{platform_id="ar"})');
      if (Number(r[0]?.value[1]) === DEVICES) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const first = await hub.poller.cycle();
    results.push({ name: 'hub: first cycle (10,000 jobs, 20 fire)', value: first.durationMs, unit: 'ms', target: { value: 1000, better: 'lower' }, notes: `fired ${first.fired}, evaluated ${first.evaluated}` });
    const times: number[] = [];
    let requests = 0;
    for (let i = 0; i < 5; i++) {
      const r = await hub.poller.cycle();
      times.push(r.durationMs);
      requests = r.requests;
    }
    results.push({ name: 'hub: Prometheus requests per cycle (10,000 jobs, 5 metrics)', value: requests, unit: 'requests', target: { value: METRICS.length, better: 'lower' } });
    results.push({ name: 'hub: steady cycle time, median of 5', value: percentile(times, 50), unit: 'ms', target: { value: 1000, better: 'lower' } });

    // API latency while cycles run back to back.
    const base = `http://127.0.0.1:${hub.httpPort}`;
    let running = true;
    const cycling = (async () => {
      while (running) await hub.poller.cycle();
    })();
    const lat: number[] = [];
    const paths = ['/api/v1/jobs?platform_id=ar&limit=100', '/api/v1/jobs/job-42?platform_id=ar', '/api/v1/jobs?platform_id=ar&q=player_7&limit=50', '/api/v1/executions?platform_id=ar&limit=50', '/api/v1/devices?platform_id=ar&q=Player_19'];
    const deadline = performance.now() + 5000;
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        let i = w;
        while (performance.now() < deadline) {
          const s = performance.now();
          const res = await fetch(`${base}${paths[i++ % paths.length]}`, { headers: { authorization: `Bearer ${ADMIN}` } });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`API ${res.status}`);
          lat.push(performance.now() - s);
        }
      }),
    );
    running = false;
    await cycling;
    results.push({ name: 'hub: API latency p95 under load (4 clients, cycles running)', value: percentile(lat, 95), unit: 'ms', target: { value: 200, better: 'lower' }, notes: `p50 ${percentile(lat, 50).toFixed(1)} ms, ${lat.length} requests` });
    // Executions at the retention bound: 10,000 records, then one more state change.
    const sample = hub.store.executionList('ar')[0];
    if (sample) {
      for (let i = 0; i < 10_000; i++) hub.store.executions.data.executions[`bench-${i}`] = { ...structuredClone(sample), id: `bench-${i}` };
      await hub.store.executions.save();
      const s = performance.now();
      await hub.store.putExecution({ ...sample, updated_at: new Date().toISOString() });
      results.push({ name: 'hub: one execution change with 10,000 executions stored', value: performance.now() - s, unit: 'ms', notes: `${(JSON.stringify(hub.store.executions.data).length / 1e6).toFixed(1)} MB document` });
    }
    results.push({ name: 'hub: runtime document writes, mean', value: hub.store.runtime.writes ? hub.store.runtime.writeMs / hub.store.runtime.writes : 0, unit: 'ms' });
  } finally {
    await hub.stop();
    await prom.destroy();
    target.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
};
export default bench;
