// Test fixtures for the hub: temp dirs, a fake Prometheus that understands the selectors the
// hub builds (and `count by (...)`), records every query, and can be made to fail.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrometheusEndpoint } from '../../hub/model/entities.js';
import type { QueryFn, VectorSample } from '../../hub/prometheus/client.js';

export function tempDir(name = 'hub'): string {
  return mkdtempSync(join(tmpdir(), `gsmjobs-${name}-`));
}

export interface Series {
  labels: Record<string, string>;
  value: number;
}

function parseMatchers(body: string): Array<{ label: string; op: string; value: string }> {
  const out: Array<{ label: string; op: string; value: string }> = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) out.push({ label: m[1] as string, op: m[2] as string, value: (m[3] as string).replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch)) });
  if (re.lastIndex !== body.length && body.length > 0 && out.length === 0) throw new Error(`bad matchers ${body}`);
  return out;
}

export function matchSelector(series: Series[], sel: string): Series[] {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?\{(.*)\}$/s.exec(sel.trim());
  if (!m) throw new Error(`fake prometheus: cannot parse ${sel}`);
  const name = m[1];
  const matchers = parseMatchers(m[2] as string);
  return series.filter((s) => {
    if (name && s.labels.__name__ !== name) return false;
    return matchers.every(({ label, op, value }) => {
      const v = s.labels[label] ?? '';
      if (op === '=') return v === value;
      if (op === '!=') return v !== value;
      const re = new RegExp(`^(?:${value})$`);
      return op === '=~' ? re.test(v) : !re.test(v);
    });
  });
}

export class FakePrometheus {
  series: Series[] = [];
  queries: Array<{ endpoint: PrometheusEndpoint; promql: string }> = [];
  failing: Error | null = null;

  set(name: string, labels: Record<string, string>, value: number): void {
    const all = { __name__: name, ...labels };
    const key = JSON.stringify(all);
    const existing = this.series.find((s) => JSON.stringify(s.labels) === key);
    if (existing) existing.value = value;
    else this.series.push({ labels: all, value });
  }

  remove(name: string, labels: Record<string, string>): void {
    this.series = this.series.filter((s) => !(s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)));
  }

  /** A selector, or `A unless on (l, ...) (B == v)` (the hub's stale-account guard). */
  private select(expr: string): Series[] {
    const unless = /^(.*) unless on \(([^)]*)\) \((.*) == (\S+)\)$/s.exec(expr);
    if (!unless) return matchSelector(this.series, expr);
    const on = (unless[2] as string).split(',').map((l) => l.trim());
    const key = (s: Series) => JSON.stringify(on.map((l) => s.labels[l] ?? ''));
    const drop = new Set(matchSelector(this.series, unless[3] as string).filter((s) => s.value === Number(unless[4])).map(key));
    return matchSelector(this.series, unless[1] as string).filter((s) => !drop.has(key(s)));
  }

  readonly query: QueryFn = async (endpoint, promql) => {
    this.queries.push({ endpoint, promql });
    if (this.failing) throw this.failing;
    if (promql === 'vector(1)') return [{ metric: {}, value: 1, at: Date.now() }];
    const agg = /^(count|max) by \(([^)]*)\) \((.*)\)$/s.exec(promql);
    if (agg) {
      const op = agg[1] as 'count' | 'max';
      const by = (agg[2] as string).split(',').map((s) => s.trim());
      const groups = new Map<string, VectorSample>();
      for (const s of this.select(agg[3] as string)) {
        const labels = Object.fromEntries(by.filter((b) => s.labels[b] !== undefined).map((b) => [b, s.labels[b] as string]));
        const k = JSON.stringify(labels);
        const g = groups.get(k);
        const v = op === 'count' ? 1 : s.value;
        if (g) g.value = op === 'count' ? g.value + 1 : Math.max(g.value, v);
        else groups.set(k, { metric: labels, value: v, at: Date.now() });
      }
      return [...groups.values()];
    }
    return matchSelector(this.series, promql).map((s) => ({ metric: { ...s.labels }, value: s.value, at: Date.now() }));
  };
}

export const endpoint = (url = 'http://prom.invalid:9090'): PrometheusEndpoint => ({ url, headers: {} });
