// The exporter's HTTP surface: /metrics (from memory), /healthz (per-account JSON), and a
// small index page. Errors are real HTTP errors, never a 200 with a comment.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '#common/log.js';
import type { Exposition } from '../exposition.js';
import type { AccountRunner } from '../runner.js';

export interface AppDeps {
  exposition: Exposition;
  runners: () => readonly AccountRunner[];
  now: () => number;
  log: Logger;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/metrics', async (c) => {
    const gz = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const s = await deps.exposition.scrape(gz);
    const headers: Record<string, string> = { 'content-type': s.contentType, 'content-length': String(s.length), 'cache-control': 'no-store' };
    if (s.encoding) headers['content-encoding'] = s.encoding;
    const it = s.body[Symbol.asyncIterator]();
    // Stream the buffers as they come: no 50 MiB body per scrape.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(new Uint8Array(r.value.buffer as ArrayBuffer, r.value.byteOffset, r.value.byteLength));
      },
      async cancel() {
        await it.return?.();
      },
    });
    return c.body(body, 200, headers);
  });

  app.get('/healthz', (c) => {
    const now = deps.now();
    const accounts = deps.runners().map((r) => ({
      account: r.name,
      platform_id: r.platformId,
      platform: r.options.platform,
      state: r.state,
      up: r.up,
      polling: r.polling,
      devices: r.devices.size,
      vanished: r.vanished,
      rejected_last: r.rejectedLast,
      from_persistent_cache: r.fromCache,
      last_success: r.lastSuccessMs === undefined ? null : new Date(r.lastSuccessMs).toISOString(),
      cache_age_s: r.lastSuccessMs === undefined ? null : Math.round((now - r.lastSuccessMs) / 1000),
      last_error: r.lastError ?? null,
    }));
    const ok = accounts.every((a) => a.up);
    return c.json({ status: ok ? 'ok' : 'degraded', accounts }, ok ? 200 : 503);
  });

  app.get('/', (c) =>
    c.html(
      '<!doctype html><html><head><meta charset="utf-8"><title>gsmjobs exporter</title></head><body>' +
        '<h1>gsmjobs exporter</h1><p>Метрики устройств AddReality и CubicMedia для Prometheus. / Device metrics of AddReality and CubicMedia for Prometheus.</p>' +
        '<ul><li><a href="/metrics">/metrics</a></li><li><a href="/healthz">/healthz</a> (состояние учётных записей / account health)</li></ul></body></html>',
    ),
  );

  app.notFound((c) => c.text('not found / не найдено\n', 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    deps.log.error('request failed', { path: c.req.path, error: err });
    return c.text('internal error / внутренняя ошибка\n', 500);
  });
  return app;
}
