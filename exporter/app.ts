// The exporter's composition root: config -> sources -> account runners -> metrics,
// exposition, persistent cache -> HTTP server. Nothing else wires parts together.
import type { RequestListener } from 'node:http';
import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../hub/common/clock.js';
import { type Logger, createLogger } from '../hub/common/log.js';
import { createRegistry, dropLintFailingMetrics } from '../hub/common/metrics.js';
import { registerBuildInfo } from '../hub/common/build-info.js';
import { createReloadMetrics } from '../hub/common/reload-metrics.js';
import type { AccountConfig, ExporterConfig } from './config.js';
import { Exposition } from './exposition.js';
import { createApp } from './http/app.js';
import type { Listening } from './http/listen.js';
import { serve } from './http/serve.js';
import { createExporterMetrics } from './metrics.js';
import { AccountRunner } from './runner.js';
import { createSource } from './sources/index.js';
import type { FetchFn } from './sources/http.js';
import { nodeFetch } from './sources/node-http.js';
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
  /** The HTTP request listener (/metrics, /healthz, /). */
  readonly app: RequestListener;
  readonly runners: readonly AccountRunner[];
  readonly exposition: Exposition;
  /** The listening URL (after start). */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGHUP: apply new accounts and intervals; returns what changed (also logged). */
  reload(next: ExporterConfig, tokens: ReadonlyMap<string, string | undefined>): string[];
  /** SIGHUP with a bad file: log why, keep running, mark the reload metric. */
  reloadFailed(reason: string): void;
}

export function createExporter(config: ExporterConfig, deps: ExporterDeps): Exporter {
  const clock = deps.clock ?? systemClock;
  // Mutable: tokens added by a reload are masked too (the logger keeps this array).
  const secrets = [...deps.tokens.values()].filter((t): t is string => !!t);
  const log = deps.log ?? createLogger('exporter', { secrets });
  const registry = deps.registry ?? createRegistry({ defaultMetrics: config.process_metrics });
  // An injected registry may carry default metrics too: keep the output promtool-clean.
  dropLintFailingMetrics(registry);
  const http = { fetch: deps.fetch ?? nodeFetch, clock, random: deps.random ?? Math.random };

  const runners: AccountRunner[] = [];
  const exposition = new Exposition(registry, () => runners.map((r) => r.compressed));
  const writer = config.cache.file
    ? new CacheWriter(config.cache.file, () => ({ saved_at_ms: clock.now(), accounts: Object.fromEntries(runners.map((r) => [r.name, r.snapshot()])) }), log.child('cache'), (ok) => metrics.cacheWrite(ok))
    : undefined;

  let current = config;
  let currentTokens = deps.tokens;
  const makeRunner = (name: string, account: AccountConfig, cfg: ExporterConfig, tokens: ReadonlyMap<string, string | undefined>): AccountRunner => {
    const ref = { platformId: account.platform_id, name };
    const retry = { ...cfg.retry, ...account.retry };
    const source = createSource(account, tokens.get(name), retry, {
      ...http,
      log: log.child(`account:${name}`),
      onError: (kind) => metrics.apiError(ref, kind),
      onRequest: (d, result) => metrics.request(ref, d, result),
    });
    return new AccountRunner(
      { name, platformId: account.platform_id, platform: account.platform, intervalMs: (account.interval_s ?? cfg.refresh.interval_s) * 1000, graceMs: cfg.refresh.grace_period_s * 1000 },
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
    );
  };
  for (const [name, account] of Object.entries(config.accounts)) runners.push(makeRunner(name, account, config, deps.tokens));
  // Created after the runners exist, so that per-account counters start at zero.
  const metrics = createExporterMetrics(registry, () => runners, clock);
  registerBuildInfo(registry, 'signage_exporter');
  const reloadMetrics = createReloadMetrics(registry, 'signage_exporter', clock.now());
  let started = false;
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
        await Promise.all(runners.filter((r) => r.devices.size > 0).map((r) => r.render()));
        if (loaded.contents) log.info('restored the last known state', { file: config.cache.file, devices: runners.reduce((n, r) => n + r.devices.size, 0), saved_at: new Date(loaded.contents.saved_at_ms).toISOString() });
      }
      exposition.invalidate();
      server = await serve(app, config.http.host, config.http.port);
      log.info('listening', { url: server.url, accounts: runners.map((r) => `${r.name}:${r.platformId}`) });
      started = true;
      for (const r of runners) r.start();
    },
    reload(next, tokens) {
      const changes: string[] = [];
      const restartOnly = (['http', 'cache', 'process_metrics'] as const).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
      if (restartOnly.length) log.warn('reload: these keys need a restart and keep their old values', { keys: restartOnly });
      const oldAccounts = current.accounts;
      for (const t of tokens.values()) if (t && !secrets.includes(t)) secrets.push(t);
      for (let i = runners.length - 1; i >= 0; i--) {
        const r = runners[i]!;
        const a = next.accounts[r.name];
        const sameSource = a !== undefined && JSON.stringify({ ...a, interval_s: undefined }) === JSON.stringify({ ...oldAccounts[r.name], interval_s: undefined }) && JSON.stringify(next.retry) === JSON.stringify(current.retry) && tokens.get(r.name) === currentTokens.get(r.name);
        if (a && sameSource) {
          const intervalMs = (a.interval_s ?? next.refresh.interval_s) * 1000;
          const graceMs = next.refresh.grace_period_s * 1000;
          if (intervalMs !== r.options.intervalMs) changes.push(`accounts.${r.name}: interval ${r.options.intervalMs / 1000} s -> ${intervalMs / 1000} s`);
          if (graceMs !== r.options.graceMs) changes.push(`accounts.${r.name}: grace period ${r.options.graceMs / 1000} s -> ${graceMs / 1000} s`);
          r.setTiming(intervalMs, graceMs);
          continue;
        }
        void r.stop();
        runners.splice(i, 1);
        metrics.removeAccount(r);
        if (!a) {
          changes.push(`accounts.${r.name}: removed`);
          continue;
        }
        const fresh = makeRunner(r.name, a, next, tokens);
        if (a.platform === r.options.platform && a.platform_id === r.platformId) {
          fresh.restore(r.snapshot());
          fresh.compressed = r.compressed;
        }
        runners.splice(i, 0, fresh);
        metrics.addAccount(fresh);
        if (started) fresh.start();
        changes.push(`accounts.${r.name}: changed (polling restarted)`);
      }
      for (const [name, a] of Object.entries(next.accounts)) {
        if (runners.some((r) => r.name === name)) continue;
        const fresh = makeRunner(name, a, next, tokens);
        runners.push(fresh);
        metrics.addAccount(fresh);
        if (started) fresh.start();
        changes.push(`accounts.${name}: added`);
      }
      currentTokens = tokens;
      current = { ...next, http: current.http, cache: current.cache, process_metrics: current.process_metrics };
      exposition.invalidate();
      reloadMetrics.succeeded(clock.now());
      log.info(changes.length ? 'configuration reloaded' : 'configuration reloaded: nothing changed', { changes });
      return changes;
    },
    reloadFailed(reason) {
      reloadMetrics.failed();
      log.error('configuration reload failed; keeping the running configuration', { error: reason });
    },
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
      await writer?.flush();
      await server?.close();
      server = undefined;
    },
  };
}
