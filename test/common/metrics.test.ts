import { spawnSync } from 'node:child_process';
import { Counter, Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry, dropLintFailingMetrics, renderMetrics } from '../../hub/common/metrics.js';

describe('createRegistry', () => {
  it('gives each program its own registry', () => {
    const a = createRegistry();
    const b = createRegistry();
    new Counter({ name: 'x_total', help: 'x', registers: [a] }).inc();
    expect(a.getSingleMetric('x_total')).toBeDefined();
    expect(b.getSingleMetric('x_total')).toBeUndefined();
  });

  it('with default metrics, renders text that promtool check metrics accepts', async () => {
    const registry = createRegistry({ defaultMetrics: true, prefix: 'gsmjobs_test_' });
    const { body } = await renderMetrics(registry);
    expect(body).toContain('gsmjobs_test_process_cpu_user_seconds_total');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('drops gauges named *_total but keeps counters', () => {
    const registry = createRegistry();
    new Gauge({ name: 'bad_total', help: 'a gauge', registers: [registry] });
    new Counter({ name: 'good_total', help: 'a counter', registers: [registry] });
    expect(dropLintFailingMetrics(registry)).toEqual(['bad_total']);
    expect(registry.getSingleMetric('good_total')).toBeDefined();
  });
});
