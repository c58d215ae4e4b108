// The store port's contract, continued: the jobs list by site and by text follows every way a job
// is written (PostgreSQL keeps a side table of each job's sites and a trigram index for that):
// jobs on several sites, moved between sites, renamed (their place in the order changes),
// disabled, their device renamed (the search text), updated by putMany, written and deleted
// through the leader's fenced view, deleted; another platform's jobs on the same site stay out.
import { expect, it } from 'vitest';
import type { Job, JobRuntime } from '../../hub/model/job.js';
import type { JobQuery, StorePort } from '../../hub/store/port.js';
import { byName, jobMatches } from '../../hub/store/port-query.js';
import { A, B, type ContractHarness, job, type JobSpec, runtime, withStoreOf } from './store-contract-fixtures.js';

/** A job whose steps use every site of `sites` (a send on the first, SMS notices on the others). */
function onSites(id: string, sites: string[], s: JobSpec = {}): Job {
  const base = job('alpha', id, { ...s, site: sites[0] as string });
  const notices: Job['steps'] = sites.slice(1).map((site_id) => ({ type: 'notify', sms: { site_id, to: 'on_call' }, webhooks: [], text: '{job}' }));
  return { ...base, steps: [...base.steps, ...notices] };
}

const QUERIES: Array<Omit<JobQuery, 'limit' | 'offset'>> = [
  { site_id: 's1' },
  { site_id: 's2' },
  { site_id: 's3' },
  { site_id: 's1', enabled: true },
  { site_id: 's2', enabled: false },
  { site_id: 's2', q: 'pump' },
  { site_id: 's1', key: 'dev-k1' },
  { site_id: 's1', state: 'firing' },
  { site_id: 's3', state: 'ok', q: 'a' },
  { q: 'pump' },
  { q: 'pump_7' },
  { q: 'ump 12' },
  { q: 'насос' },
  { q: 'x9z' },
  { enabled: false },
];

/** Every query walked by cursor (pages of 2) equals the model's sorted matches, total included. */
async function expectLists(s: StorePort, model: ReadonlyMap<string, Job>, rts: ReadonlyMap<string, JobRuntime>, step: string): Promise<void> {
  for (const q of QUERIES) {
    const want = [...model.values()].filter((j) => jobMatches(j, q, rts.get(j.id))).sort(byName).map((j) => j.id);
    const got: string[] = [];
    let after: JobQuery['after'];
    for (let pages = 0; pages < 30; pages++) {
      const page = await s.jobs.list(A, { ...q, ...(after ? { after } : {}), limit: 2, offset: 0, countCap: 100 });
      expect({ step, q, total: page.total }).toEqual({ step, q, total: want.length });
      got.push(...page.items.map((j) => j.id));
      const last = page.items.at(-1);
      if (!last || got.length >= want.length) break;
      after = { name: last.name, id: last.id };
    }
    expect({ step, q, got }).toEqual({ step, q, got: want });
  }
}

export function sitesContract(h: ContractHarness): void {
  const withStore = withStoreOf(h);

  it(
    'jobs list by site and text follows every write: several sites, moves, renames, disables, device renames, putMany, fenced writes, deletes',
    withStore(async (s) => {
      const model = new Map<string, Job>();
      const put = (j: Job) => model.set(j.id, j);
      const first = [
        onSites('j01', ['s1', 's2'], { name: 'Pump_7 north', key: 'dev-k1' }),
        onSites('j02', ['s2', 's1', 's3'], { name: 'boiler', deviceName: 'Насос 12' }),
        onSites('j03', ['s1'], { name: 'Alpha', deviceName: 'pump 12' }),
        onSites('j04', ['s1', 's1'], { name: 'alpha', key: 'dev-k1' }),
        onSites('j05', ['s3'], { name: 'pump_70', enabled: false }),
        onSites('j06', ['s2'], { name: 'Zeta', deviceName: 'x9z' }),
        onSites('j07', ['s1', 's3'], { name: 'm' }),
        onSites('j08', ['s2'], { name: 'pump' }),
        onSites('j09', ['s1'], { name: 'b' }),
        onSites('j10', ['s3', 's2'], { name: 'a', enabled: false }),
      ];
      await s.jobs.putMany(A, first);
      first.forEach(put);
      await s.jobs.putMany(B, [{ ...onSites('other', ['s1', 's2'], { name: 'pump' }), platform_id: 'beta' }]);
      const rts = new Map<string, JobRuntime>([['j01', runtime('firing')], ['j07', runtime('firing')], ['j03', runtime('pending')]]);
      await s.runtime.putMany(A, rts);
      await expectLists(s, model, rts, 'created');

      // Single writes: renamed (moves in the order), moved between sites, disabled, device renamed.
      const edits = [
        onSites('j03', ['s1'], { name: 'zz last', deviceName: 'pump 12' }),
        onSites('j04', ['s3'], { name: 'alpha', key: 'dev-k1' }),
        onSites('j09', ['s1'], { name: 'b', enabled: false }),
        onSites('j06', ['s2'], { name: 'Zeta', deviceName: 'Pump_7 spare' }),
      ];
      for (const j of edits) {
        await s.jobs.put(A, j);
        put(j);
      }
      await expectLists(s, model, rts, 'single writes');

      // putMany over existing jobs (the bulk path's update): renamed, moved to two sites, one new.
      const bulk = [onSites('j08', ['s2', 's3'], { name: 'Pump again' }), onSites('j10', ['s1'], { name: 'a', enabled: true }), onSites('j11', ['s2'], { name: 'new pump_7' })];
      await s.jobs.putMany(A, bulk);
      bulk.forEach(put);
      await expectLists(s, model, rts, 'putMany');

      // The leader's fenced view: a write, a runtime with it, and a delete.
      const lease = await s.leadership('hub-sites').tryAcquire();
      expect(lease).not.toBeNull();
      const fenced = s.fenced((lease as { epoch: number }).epoch);
      const moved = onSites('j07', ['s2'], { name: 'a moved' });
      await fenced.jobs.put(A, moved, { runtime: runtime('firing') });
      put(moved);
      rts.set('j07', runtime('firing'));
      expect(await fenced.jobs.delete(A, 'j02')).toBe(true);
      model.delete('j02');
      await expectLists(s, model, rts, 'fenced');

      // Deletes: a job on several sites leaves all of them.
      expect(await s.jobs.delete(A, 'j01')).toBe(true);
      model.delete('j01');
      rts.delete('j01');
      await expectLists(s, model, rts, 'deleted');
      expect((await s.jobs.list(B, { site_id: 's1', limit: 5, offset: 0 })).items.map((j) => j.id)).toEqual(['other']);
    }),
  );
}
