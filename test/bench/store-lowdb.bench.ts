// Store benchmark, lowdb adapter (issue 20): the embedded store rewrites definitions.json on every
// job write, so a write's cost grows with the jobs stored. Figures: the median write of one job
// (update through the port, awaited until on disk) at growing job counts, and the count at which
// it passes 50 ms (interpolated between the measured counts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../hub/store/lowdb-adapter.js';
import { scopeOf } from '../../hub/store/port.js';
import { HubStore } from '../../hub/store/store.js';
import type { Bench, BenchResult } from './harness.js';
import { benchJob, percentile } from './store-jobs.js';

const COUNTS = [1000, 2500, 5000, 10_000, 20_000, 40_000];
const LIMIT_MS = 50;
const scope = scopeOf('ar');

const bench: Bench = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-bench-lowdb-'));
  const hub = new HubStore(dir);
  await hub.load();
  const store = await LowdbStore.open(hub, dir);
  const results: BenchResult[] = [];
  const points: Array<[number, number]> = [];
  try {
    let stored = 0;
    for (const count of COUNTS) {
      const more = Array.from({ length: count - stored }, (_, k) => benchJob('ar', stored + k));
      await hub.putJobs(more);
      stored = count;
      const lat: number[] = [];
      for (let i = 0; i < 15; i++) {
        const j = benchJob('ar', (i * 997) % count);
        const t = performance.now();
        await store.jobs.put(scope, { ...j, enabled: i % 2 === 0 });
        lat.push(performance.now() - t);
      }
      const median = percentile(lat, 50);
      points.push([count, median]);
      results.push({ name: `store-lowdb: write one job, median (${count} jobs stored)`, value: median, unit: 'ms', notes: `max ${Math.max(...lat).toFixed(1)} ms` });
      if (median > LIMIT_MS * 2) break;
    }
    const over = points.findIndex(([, ms]) => ms > LIMIT_MS);
    let at: number;
    let note: string;
    if (over < 0) {
      at = points[points.length - 1]?.[0] ?? 0;
      note = `still under ${LIMIT_MS} ms at the largest count measured`;
    } else if (over === 0) {
      at = points[0]?.[0] ?? 0;
      note = `already over ${LIMIT_MS} ms at the smallest count measured`;
    } else {
      const [c0, m0] = points[over - 1] as [number, number];
      const [c1, m1] = points[over] as [number, number];
      at = Math.round(c0 + ((LIMIT_MS - m0) * (c1 - c0)) / (m1 - m0));
      note = `between ${c0} (${m0.toFixed(1)} ms) and ${c1} (${m1.toFixed(1)} ms), interpolated`;
    }
    results.push({ name: `store-lowdb: jobs stored at which one write passes ${LIMIT_MS} ms`, value: at, unit: 'jobs', notes: note });
  } finally {
    await store.close();
    await hub.flush();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
};

export default bench;
