// The exporter's composition root: config -> sources -> account runners -> metrics,
// exposition, persistent cache -> HTTP server. Nothing else wires parts together.
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../hub/common/clock.js';
import { type Logger, createLogger } from '../hub/common/log.js';
import { createRegistry, dropLintFailingMetrics } from '../hub/common/metrics.js';
import type { ExporterConfig } from './config.js';
import { Exposition } from './exposition.js';
import { createApp } from './http/app.js';
import { type Listening, listen } from './http/listen.js';
import { createExporterMetrics } from './metrics.js';
import { AccountRunner } from './runner.js';
import { createSource } from './sources/index.js';
import type { FetchFn } from './sources/http.js';
import { loadCache } from './store/cache-file.js';
import { CacheWriter } from './store/cache-writer.js';

export interface ExporterDeps {
  /** Resolved tokens by account name (config.resolveTokens). */
  tokens: ReadonlyMap<string, string | undefined>;
  clock?: Clock;
  fetch?: FetchFn;
  random?: () => number;
  log?: Logger;
  registry?: Registry;
}

export interface Exporter {
  readonly app: Hono;
  readonly runners: readonly AccountRunner[];
  readonly exposition: Exposition;
  /** The listening URL (after start). */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createExporter(config: ExporterConfig, deps: ExporterDeps): Exporter {
  const clock = deps.clock ?? systemClock;
  const secrets = [...deps.tokens.values()].filter((t): t is string => !!t);
  const log = deps.log ?? createLogger('exporter', { secrets });
  const registry = deps.registry ?? createRegistry({ defaultMetrics: config.process_metrics });
  // An injected registry may carry default metrics too: keep the output promtool-clean.
  dropLintFailingMetrics(registry);
  const http = { fetch: deps.fetch ?? ((url: string, init: RequestInit) => fetch(url, init)), clock, random: deps.random ?? Math.random };

  const runners: AccountRunner[] = [];
  const exposition = new Exposition(registry, () => runners.map((r) => r.chunks));
  const writer = config.cache.file
    ? new CacheWriter(config.cache.file, () => ({ saved_at_ms: clock.now(), accounts: Object.fromEntries(runners.map((r) => [r.name, r.snapshot()])) }), log.child('cache'), (ok) => metrics.cacheWrite(ok))
    : undefined;

  for (const [name, account] of Object.entries(config.accounts)) {
    const ref = { platformId: account.platform_id, name };
    const retry = { ...config.retry, ...account.retry };
    const source = createSource(account, deps.tokens.get(name), retry, { ...http, onError: (kind) => metrics.apiError(ref, kind) });
    runners.push(
      new AccountRunner(
        { name, platformId: account.platform_id, platform: account.platform, intervalMs: (account.interval_s ?? config.refresh.interval_s) * 1000, graceMs: config.refresh.grace_period_s * 1000 },
        {
          source,
          clock,
          log: log.child(`account:${name}`),
          onRefresh: (r, ok, d, rejected) => metrics.refreshed(r, ok, d, rejected),
          onChange: () => {
            exposition.invalidate();
            writer?.schedule();
          },
        },
      ),
    );
  }
  // Created after the runners exist, so that per-account counters start at zero.
  const metrics = createExporterMetrics(registry, () => runners, clock);
  const app = createApp({ exposition, runners: () => runners, now: () => clock.now(), log: log.child('http') });
  let server: Listening | undefined;

  return {
    app,
    runners,
    exposition,
    get url() {
      if (!server) throw new Error('exporter not started');
      return server.url;
    },
    async start() {
      if (config.cache.file) {
        const loaded = await loadCache(config.cache.file);
        if (loaded.problem) log.warn('ignoring the cache file', { problem: loaded.problem });
        if (loaded.rejected > 0) log.warn('cache records rejected', { rejected: loaded.rejected });
        for (const r of runners) {
          const c = loaded.contents?.accounts[r.name];
          if (c && c.platform_id === r.platformId && c.platform === r.options.platform) r.restore(c);
        }
        if (loaded.contents) log.info('restored the last known state', { file: config.cache.file, devices: runners.reduce((n, r) => n + r.devices.size, 0), saved_at: new Date(loaded.contents.saved_at_ms).toISOString() });
      }
      exposition.invalidate();
      server = await listen(app, config.http.host, config.http.port);
      log.info('listening', { url: server.url, accounts: runners.map((r) => `${r.name}:${r.platformId}`) });
      for (const r of runners) r.start();
    },
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
      await writer?.flush();
      await server?.close();
      server = undefined;
    },
  };
}
