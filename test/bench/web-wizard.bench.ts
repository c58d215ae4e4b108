// Web form: how long the wizard's pages take at a platform's scale (2,000 devices x 5 metrics,
// 10,000 jobs), through the real pages and API over app.request() with the hub's fake
// Prometheus (the Prometheus round trip itself is not included). Issue 5: metrics in under 2 s.
import { createApp } from '../../hub/api/app.js';
import { mountWeb } from '../../hub/web/index.js';
import { WebClient, wizardState } from '../web/helpers.js';
import { createWorld, TOKENS } from '../hub/world.js';
import { type Bench, timeMs } from './harness.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const bench: Bench = async () => {
  const w = await createWorld();
  for (let i = 0; i < 2000; i++) {
    const labels = { platform_id: 'a', device_id: `dev-${i}`, name: `Player ${i}` };
    for (let m = 0; m < 5; m++) w.prom.set(m === 0 ? 'signage_device_online' : `metric_${m}`, labels, i % 7);
  }
  await w.store.putJobs(Array.from({ length: 10_000 }, (_, i) => w.job('a', { name: `job ${i}`, device: { key_type: 'device_id', key: `dev-${i % 2000}`, name: `Player ${i % 2000}` } })));
  const app = createApp(w.deps);
  mountWeb(app, w.deps);
  const b = new WebClient(app);
  await b.signIn(TOKENS.a);
  const runs = 15;
  const list: number[] = [];
  const search: number[] = [];
  const metrics: number[] = [];
  for (let i = 0; i < runs; i++) {
    list.push(await timeMs(() => b.get(`/ui/jobs?q=job%20${i}`)));
    search.push(await timeMs(() => b.get(`/ui/jobs/wizard/devices?q=Player%20${i}`)));
    const step1 = await b.get('/ui/jobs/new');
    metrics.push(await timeMs(() => b.post('/ui/jobs/wizard', { ...wizardState(step1.text), pick: JSON.stringify({ key_type: 'device_id', key: `dev-${i}`, name: `Player ${i}` }) })));
  }
  return [
    { name: 'web: jobs list page, 10,000 jobs, search (median)', value: median(list), unit: 'ms', target: { value: 200, better: 'lower' } },
    { name: 'web: device search fragment, 2,000 devices (median)', value: median(search), unit: 'ms', target: { value: 200, better: 'lower' } },
    { name: 'web: wizard step 2, metrics with current values (median)', value: median(metrics), unit: 'ms', target: { value: 2000, better: 'lower' }, notes: 'fake Prometheus; add its query time' },
  ];
};
export default bench;
