// One account's background refresh loop: fetch the device list from its source on an interval,
// merge it into the account's device map, render its metric chunks, and record its health.
// 401/403 stop polling this account (until the exporter restarts with a fixed token).
import type { Clock, TimerHandle } from '#common/clock.js';
import type { Logger } from '#common/log.js';
import { Staging, countVanished } from './core/account-state.js';
import type { CachedDevice } from './core/device.js';
import { type CompressedAccount, EMPTY_ACCOUNT, inflate, renderAccountGz } from './compressed.js';
import { families } from './core/render.js';
import { maskUserinfo } from './config.js';
import { ApiError } from './sources/http.js';
import type { Source } from './sources/source.js';
import type { CachedAccount } from './store/cache-file.js';

export type AccountState = 'starting' | 'ok' | 'failing' | 'auth_failed' | 'stopped';

export interface RunnerOptions {
  name: string;
  platformId: string;
  platform: string;
  intervalMs: number;
  graceMs: number;
}

export interface RunnerDeps {
  source: Source;
  clock: Clock;
  log: Logger;
  /** After every refresh attempt (success or failure). */
  onRefresh?: (r: AccountRunner, ok: boolean, durationS: number, rejected: number) => void;
  /** After the device map changed (render and persist). */
  onChange?: (r: AccountRunner) => void;
}

export class AccountRunner {
  devices = new Map<string, CachedDevice>();
  state: AccountState = 'starting';
  lastSuccessMs: number | undefined;
  lastDurationS: number | undefined;
  lastError: string | undefined;
  rejectedLast = 0;
  vanished = 0;
  /** The state came from the persistent cache and no refresh has succeeded since. */
  fromCache = false;
  /** Rendered series, one gzip member per device family (see compressed.ts). */
  compressed: CompressedAccount = EMPTY_ACCOUNT;
  private renders = 0;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private running = false;

  /** A reload changed the interval or grace period: applies from the next refresh on. */
  setTiming(intervalMs: number, graceMs: number): void {
    this.options = { ...this.options, intervalMs, graceMs };
  }

  constructor(
    public options: RunnerOptions,
    private readonly deps: RunnerDeps,
  ) {}

  get name(): string {
    return this.options.name;
  }
  get platformId(): string {
    return this.options.platformId;
  }
  get up(): boolean {
    return this.state === 'ok';
  }
  get polling(): boolean {
    return this.running && this.state !== 'auth_failed';
  }

  /** Take over the last known state from the persistent cache (before start()); then render(). */
  restore(cached: CachedAccount): void {
    this.devices = new Map(cached.devices.map((d) => [d.key, d]));
    this.lastSuccessMs = cached.last_success_ms;
    this.vanished = countVanished(this.devices, this.lastSuccessMs);
    this.fromCache = true;
  }

  /**
   * Render the device map into compressed series (in slices: scrapes keep being answered from
   * the previous ones meanwhile). A render overtaken by a newer one is dropped.
   */
  async render(): Promise<void> {
    const n = ++this.renders;
    const out = await renderAccountGz(this.accountDevices(), () => new Promise<void>((resolve) => setImmediate(resolve)));
    if (n === this.renders) this.compressed = out;
  }

  /** This account's device series as text, family after family (tests). */
  text(): string {
    const parts: Buffer[] = [];
    for (let f = 0; f < families.length; f++) for (const b of inflate(this.compressed.gz[f]!)) parts.push(b);
    return Buffer.concat(parts).toString('utf8');
  }

  snapshot(): CachedAccount {
    return { platform_id: this.options.platformId, platform: this.options.platform, last_success_ms: this.lastSuccessMs, devices: [...this.devices.values()] };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort(new Error('exporter stopping'));
    await this.inFlight;
    if (this.state !== 'auth_failed') this.state = 'stopped';
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, ms);
    this.timer.unref?.();
  }

  /** One refresh now (the loop calls it; tests may too). Never throws. */
  refresh(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.doRefresh().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private accountDevices() {
    return { platformId: this.options.platformId, account: this.options.name, keyLabel: this.deps.source.keyLabel, devices: this.devices.values() };
  }

  private async doRefresh(): Promise<void> {
    const { clock, log, source } = this.deps;
    const ac = new AbortController();
    this.abort = ac;
    const t0 = clock.now();
    let next = this.options.intervalMs;
    try {
      const staging = new Staging(this.devices);
      const result = await source.fetchDevices(ac.signal, staging);
      for (const d of result.devices) staging.add(d);
      const now = clock.now();
      const merged = staging.commit(result.rejected, now, this.options.graceMs);
      this.devices = merged.devices;
      // Series first, then "up": an account is up once its new state is what a scrape serves.
      await this.render();
      this.vanished = merged.vanished;
      this.lastSuccessMs = now;
      this.fromCache = false;
      const previousRejected = this.state === 'ok' ? this.rejectedLast : -1;
      this.rejectedLast = result.rejected.length;
      this.lastError = undefined;
      if (this.state !== 'ok') log.info('refresh succeeded', { devices: merged.devices.size, requests: result.requests });
      this.state = 'ok';
      // The same bad records come back every refresh: say it when the count changes.
      if (result.rejected.length > 0) {
        const level = result.rejected.length === previousRejected ? 'debug' : 'warn';
        log[level]('records rejected', { rejected: result.rejected.length, first: result.rejected.slice(0, 3).map((r) => r.error) });
      }
      if (merged.expired > 0) log.info('devices dropped after the grace period', { expired: merged.expired });
      this.deps.onChange?.(this);
      this.deps.onRefresh?.(this, true, (clock.now() - t0) / 1000, result.rejected.length);
    } catch (err) {
      if (ac.signal.aborted && !this.running) return;
      const message = maskUserinfo(err instanceof Error ? err.message : String(err));
      this.lastError = message;
      if (err instanceof ApiError && err.kind === 'auth') {
        this.state = 'auth_failed';
        log.error(`${this.options.platform} account "${this.options.name}" (platform_id ${this.options.platformId}): the API refused the token; polling of this account is stopped until the token is fixed and the exporter restarted`, { error: message });
      } else {
        if (this.state !== 'failing') log.warn('refresh failed; serving the last known state', { error: message, kind: err instanceof ApiError ? err.kind : 'internal' });
        this.state = 'failing';
        if (err instanceof ApiError && err.retryAfterMs !== undefined) next = Math.max(next, err.retryAfterMs);
      }
      this.deps.onRefresh?.(this, false, (clock.now() - t0) / 1000, 0);
    } finally {
      this.lastDurationS = (clock.now() - t0) / 1000;
      this.abort = undefined;
    }
    if (this.state !== 'auth_failed') this.schedule(next);
  }
}
