// The Grafana dashboard (hub/deploy/grafana/gsmjobs-remediation.json): it parses, its panels
// have unique ids and non-overlapping grid positions, every PromQL expression references only
// metric names the three programs really export (taken from their registries), filters by the
// platform variable (tenancy), and, when promtool is installed, passes its syntax check.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createAgentMetrics, type MetricSources } from '../../agent/metrics.js';
import { systemClock } from '../../hub/common/clock.js';
import { families } from '../../exporter/core/render.js';
import { createExporterMetrics } from '../../exporter/metrics.js';
import { createHubMetrics } from '../../hub/metrics.js';

const FILE = new URL('../../hub/deploy/grafana/gsmjobs-remediation.json', import.meta.url);

/** Hub metrics without a platform_id label (process-wide). */
const GLOBAL = /^gsmjobs_hub_(poll_cycle_duration_seconds|prometheus_queries_total|degraded_cycles_total|prometheus_up|mqtt_up|mqtt_handler_errors_total)/;

function realMetricNames(): Set<string> {
  const names = new Set<string>();
  const add = (name: string, histogram: boolean) => {
    names.add(name);
    if (histogram) for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  };
  const hub = new Registry();
  createHubMetrics(hub, { jobStates: () => new Map(), mqttUp: () => true, sitesOnline: () => new Map(), prometheusUp: () => true, incidentsOpen: () => new Map(), smsQueued: () => [] });
  const exporter = new Registry();
  createExporterMetrics(exporter, () => [], systemClock);
  const agent = new Registry();
  const sources: MetricSources = { modem: () => ({ state: 'up' }), outboxDepth: () => 0, journalBytes: () => 0, mqttConnected: () => true };
  createAgentMetrics(agent, sources);
  for (const reg of [hub, exporter, agent]) for (const m of reg.getMetricsAsArray()) add((m as unknown as { name: string }).name, m instanceof Histogram);
  for (const f of families) add(f.name, false); // exporter device series, rendered by hand
  return names;
}

const KEYWORDS = new Set(['sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

/** Metric names a PromQL expression selects (strings, matchers, ranges and grouping lists removed). */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, '$1 ');
  const out: string[] = [];
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const before = s[(m.index ?? 0) - 1] ?? ' ';
    if (/[0-9.$]/.test(before)) continue; // 1e3, $var
    if (/^\s*\(/.test(s.slice((m.index ?? 0) + word.length))) continue; // a function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    out.push(word);
  }
  return out;
}

interface Target {
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; definition?: string }> };
}

const dash = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
const allPanels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const panelExprs = allPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));
/** label_values(<selector>, label) of the query variables, as selector expressions. */
const variableExprs = dash.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => {
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.definition ?? '');
    return { panel: `variable ${v.name}`, expr: m?.[1] ?? '' };
  });
const exprs = [...panelExprs, ...variableExprs];

/** What Grafana would substitute: durations for $__ variables, "all" regexes for the others. */
function substitute(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_all, name: string) => (name.startsWith('__') ? '5m' : '.*'));
}

describe('Grafana dashboard', () => {
  it('parses as a Grafana 10+ dashboard with the datasource and platform variables', () => {
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dash.uid).toBe('gsmjobs-remediation');
    const vars = Object.fromEntries(dash.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.platform_id?.type).toBe('query');
    expect(vars.platform_id?.definition).toMatch(/^label_values\(\w+, platform_id\)$/);
    expect(allPanels.length).toBeGreaterThan(20);
  });

  it('every panel has a unique id and a grid position inside 24 columns, without overlaps', () => {
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allPanels) {
      expect(Number.isInteger(p.id), p.title).toBe(true);
      const g = p.gridPos;
      expect(g, p.title).toBeDefined();
      for (const k of ['h', 'w', 'x', 'y'] as const) expect(Number.isInteger(g[k]) && g[k] >= 0, `${p.title} gridPos.${k}`).toBe(true);
      expect(g.w > 0 && g.h > 0 && g.x + g.w <= 24, p.title).toBe(true);
    }
    for (const [i, a] of allPanels.entries())
      for (const b of allPanels.slice(i + 1)) {
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
  });

  it('every data panel queries the ${datasource} variable and has at least one expression', () => {
    for (const p of allPanels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr?.trim(), p.title).toBeTruthy();
    }
  });

  it('the metric-name extractor finds selected names only (checked on known input)', () => {
    expect(metricNames('histogram_quantile(0.9, sum by (le, platform_id) (rate(foo_bucket{a="b",le!="x y"}[$__rate_interval]))) / on (x) group_left (y) bar * 1e3 > 0')).toEqual(['foo_bucket', 'bar']);
    expect(metricNames('sum(x{platform_id=~"$platform_id"}) or vector(0)')).toEqual(['x']);
    const known = realMetricNames();
    expect(known.has('gsmjobs_hub_jobs')).toBe(true);
    expect(known.has('signage_exporter_refresh_duration_seconds_bucket')).toBe(true);
    expect(known.has('gsmjobs_agent_modem_signal_dbm')).toBe(true);
    expect(known.has('signage_device_online')).toBe(true);
    expect(known.has('gsmjobs_hub_jobs_bucket')).toBe(false); // suffixes only on histograms
  });

  it('every expression references only metric names that really exist', () => {
    const known = realMetricNames();
    const unknown: string[] = [];
    const used = new Set<string>();
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) {
        used.add(n);
        if (!known.has(n)) unknown.push(`${panel}: ${n}`);
      }
    }
    expect(unknown).toEqual([]);
    // The spec's panels are there: each remediation metric and the exporter's / agent's key ones.
    for (const n of ['gsmjobs_hub_remediations_total', 'gsmjobs_hub_remediation_ttr_seconds_bucket', 'gsmjobs_hub_incidents_open', 'gsmjobs_hub_sms_queue', 'gsmjobs_hub_webhook_deliveries_total', 'gsmjobs_hub_jobs', 'gsmjobs_hub_sites_online', 'signage_device_online', 'signage_exporter_account_up', 'signage_exporter_refresh_duration_seconds_bucket', 'gsmjobs_agent_modem_up', 'gsmjobs_agent_modem_signal_dbm'])
      expect(used.has(n), n).toBe(true);
  });

  it('every selector of a per-platform metric filters by the platform variable (tenancy)', () => {
    const missing: string[] = [];
    // The platform variable itself lists the platforms; everything else is filtered by it.
    for (const { panel, expr } of exprs.filter((e) => e.panel !== 'variable platform_id'))
      for (const n of new Set(metricNames(expr))) {
        if (GLOBAL.test(n)) continue;
        for (const m of expr.matchAll(new RegExp(`(?<![\\w:])${n}(?![\\w:])(\\{[^}]*\\})?`, 'g')))
          if (!(m[1] ?? '').includes('platform_id=~"$platform_id"')) missing.push(`${panel}: ${m[0]}`);
      }
    expect(missing).toEqual([]);
  });

  const promtool = (() => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!promtool)('every expression passes promtool check rules (PromQL syntax)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gsmjobs-grafana-'));
    try {
      const rules = exprs.map(({ expr }, i) => ({ record: `dashboard:expr_${i}`, expr: substitute(expr) }));
      const file = join(dir, 'rules.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const out = execFileSync('sh', ['-c', `promtool check rules ${file} 2>&1; echo rc=$?`]).toString();
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(out).toMatch(/rc=0\s*$/);
      // The check can fail: a broken expression is refused.
      writeFileSync(file, stringify({ groups: [{ name: 'bad', rules: [{ record: 'dashboard:bad', expr: 'sum by (le (rate(x[5m]))' }] }] }));
      expect(execFileSync('sh', ['-c', `promtool check rules ${file} 2>&1; echo rc=$?`]).toString()).toMatch(/rc=1\s*$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
