// The hub crash matrix (issue 15) with the store on PostgreSQL (issue 20): the hub's bundle on a
// throwaway PostgreSQL 15 SIGKILLs itself right after the firing is recorded (after_store: the
// working set's commitFiring transaction committed, nothing published) and right before the job
// is published (before_publish), then the next hub starts on the same database. Each episode must
// reach the modem exactly once, under one wire id and one execution. Rows are written to
// test-artifacts/crash-matrix-hub-pg.json. PG_CRASH_EPISODES (default 3) per point.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type PgCluster, startPostgres } from '../support/postgres.js';
import { type Stack, startStack } from './stack.js';
import { ROOT } from './support/child.js';
import { type CrashRow, crashRow, expectExactlyOnce, WireObserver } from './support/crash-hub.js';

const EPISODES = Number(process.env.PG_CRASH_EPISODES ?? 3);
const devices = (from: number) => Array.from({ length: EPISODES }, (_, i) => String(from + i));

let cluster: PgCluster;
let stack: Stack;
let observer: WireObserver;
const rows: CrashRow[] = [];

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await cluster.createDatabase('hub_crash');
  stack = await startStack({ broker: 'mosquitto', pollIntervalS: 1, scrapeIntervalS: 1, exporterRefreshS: 1, devices: 60, statusReportMs: 100, bundledHub: true, hubConfig: { store: { kind: 'postgres', url } } });
  observer = await WireObserver.start(stack);
}, 180_000);

afterAll(async () => {
  if (rows.length) {
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(ROOT, 'test-artifacts', 'crash-matrix-hub-pg.json'), `${JSON.stringify({ generated_at: new Date().toISOString(), store: 'postgres', rows }, null, 2)}\n`);
    console.log(rows.map((r) => `postgres ${r.point}: ${r.episodes} episodes, killed ${r.crashed}, lost ${r.lost}, duplicated ${r.duplicated}, wire-id conflicts ${r.wire_id_conflicts}, ${r.wall_s} s`).join('\n'));
  }
  await observer?.close();
  await stack?.stop();
  await cluster?.destroy();
}, 60_000);

describe('hub crash matrix on PostgreSQL: after_store, before_publish', () => {
  for (const [n, point] of ['after_store', 'before_publish'].entries()) {
    it(`${point}: ${EPISODES} episodes, killed there, lost 0, duplicated 0`, async () => {
      const row = await crashRow(stack, observer, point, devices(30010 + n * 20));
      rows.push(row);
      expectExactlyOnce(row, EPISODES);
    }, 60_000 + EPISODES * 40_000);
  }
});
