// A real Prometheus server for integration tests (Debian package `prometheus`), on a free
// loopback port, with a generated config.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type Proc, startProcess, waitFor } from './process.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  targets: string[];
  metricsPath?: string;
  scrapeInterval?: string;
}

export interface PrometheusOptions {
  scrape: ScrapeTarget[];
  scrapeInterval?: string;
  port?: number;
  dir?: string;
}

export interface Prometheus {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  proc: Proc;
  /** Instant query; returns the result vector. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Wait until every target of a job is up. */
  waitForTargets(job: string, timeoutMs?: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop and remove the data directory. */
  destroy(): Promise<void>;
}

export function prometheusConfig(options: PrometheusOptions): string {
  const interval = options.scrapeInterval ?? '1s';
  const jobs = options.scrape
    .map((s) =>
      [
        `  - job_name: ${JSON.stringify(s.job)}`,
        `    scrape_interval: ${s.scrapeInterval ?? interval}`,
        `    scrape_timeout: ${s.scrapeInterval ?? interval}`,
        `    metrics_path: ${JSON.stringify(s.metricsPath ?? '/metrics')}`,
        '    static_configs:',
        `      - targets: [${s.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      ].join('\n'),
    )
    .join('\n');
  return `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n${jobs}\n`;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gsmjobs-prometheus-'));
  const port = options.port ?? (await freePort());
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options));
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ];
  const launch = async () => {
    const proc = startProcess(PROMETHEUS_BIN, args, { name: 'prometheus' });
    await waitFor(
      async () => {
        if (proc.done) throw new Error(`prometheus exited:\n${proc.output().slice(-3000)}`);
        const res = await fetch(`${url}/-/ready`).catch(() => undefined);
        return res?.ok ?? false;
      },
      30_000,
      'prometheus ready',
      100,
    );
    return proc;
  };
  const prom: Prometheus = {
    port,
    url,
    dir,
    proc: await launch(),
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
      return body.data?.result ?? [];
    },
    async waitForTargets(job, timeoutMs = 20_000) {
      await waitFor(
        async () => {
          const r = await prom.query(`up{job=${JSON.stringify(job)}}`);
          return r.length > 0 && r.every((s) => s.value[1] === '1');
        },
        timeoutMs,
        `targets of ${job} up`,
        200,
      );
    },
    async start() {
      prom.proc = await launch();
    },
    async stop() {
      await prom.proc.stop();
    },
    async destroy() {
      await prom.proc.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return prom;
}
