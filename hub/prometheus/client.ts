// Prometheus HTTP API client (instant queries): per-platform endpoint and headers (e.g.
// X-Scope-OrgID for Mimir/Cortex/Thanos tenants), a timeout per query and a bound on the number
// of queries in flight across the hub. Works with any server speaking /api/v1/query.
import type { PrometheusEndpoint } from '../model/entities.js';

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
  /** Sample time, epoch ms. */
  at: number;
}

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'http' | 'network' | 'query',
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export interface QueryStats {
  ok: number;
  failed: number;
}

export type QueryFn = (endpoint: PrometheusEndpoint, promql: string) => Promise<VectorSample[]>;

/** A counting semaphore. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export interface PrometheusClientOptions {
  timeoutMs: number;
  concurrency: number;
  fetch?: typeof fetch;
  onQuery?: (ok: boolean, ms: number) => void;
}

export class PrometheusClient {
  private readonly limiter: Limiter;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: PrometheusClientOptions) {
    this.limiter = new Limiter(options.concurrency);
    this.fetchFn = options.fetch ?? fetch;
  }

  readonly query: QueryFn = (endpoint, promql) => this.limiter.run(() => this.once(endpoint, promql));

  private async once(endpoint: PrometheusEndpoint, promql: string): Promise<VectorSample[]> {
    const started = performance.now();
    let ok = false;
    try {
      const url = `${endpoint.url.replace(/\/+$/, '')}/api/v1/query`;
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          method: 'POST',
          headers: { ...endpoint.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ query: promql }).toString(),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (err) {
        const e = err as Error;
        if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new PrometheusError(`query timed out after ${this.options.timeoutMs} ms`, 'timeout');
        throw new PrometheusError(`cannot reach Prometheus: ${e.message}`, 'network');
      }
      const text = await res.text();
      let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new PrometheusError(`HTTP ${res.status}: not a Prometheus answer`, 'http');
      }
      if (!res.ok || body.status !== 'success') throw new PrometheusError(`HTTP ${res.status}: ${body.error ?? 'query failed'}`, res.ok ? 'query' : 'http');
      if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) throw new PrometheusError('expected an instant vector', 'query');
      const out: VectorSample[] = [];
      for (const r of body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>) {
        out.push({ metric: r.metric, value: Number(r.value[1]), at: Math.round(r.value[0] * 1000) });
      }
      ok = true;
      return out;
    } finally {
      this.options.onQuery?.(ok, performance.now() - started);
    }
  }
}
