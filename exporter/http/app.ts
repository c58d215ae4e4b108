// The exporter's HTTP surface on node:http directly: /metrics (from memory, streamed with
// backpressure), /healthz (per-account JSON), and a small index page. No web framework: hono's
// node adapter loads the global Response (undici), several MiB of RSS for three routes, and
// web streams cost time per chunk of a 58 MiB identity body. Errors are real HTTP errors,
// never a 200 with a comment.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../../hub/common/log.js';
import type { Exposition } from '../exposition.js';
import type { AccountRunner } from '../runner.js';

export interface AppDeps {
  exposition: Exposition;
  runners: () => readonly AccountRunner[];
  now: () => number;
  log: Logger;
}

/** Write buffers in order, waiting for 'drain' when the socket is full; stops when the client goes. */
async function writeAll(res: ServerResponse, body: AsyncIterable<Buffer>): Promise<void> {
  const it = body[Symbol.asyncIterator]();
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (res.destroyed) return;
      if (!res.write(r.value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  } finally {
    await it.return?.();
  }
}

/** node --expose-gc (the systemd unit) gives globalThis.gc; without it this does nothing. */
const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void }).gc;

/**
 * An identity scrape inflates ~58 MiB into buffers outside the heap that V8 frees only at its
 * next GC, which their size alone starts late (+15-30 MiB of RSS meanwhile). Their small JS
 * handles are young: a minor GC every 8 MiB sent (about a millisecond each) releases them.
 */
async function* collecting(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const b of body) {
    yield b;
    sent += b.length;
    if (sent >= 8 * 1024 * 1024) {
      sent = 0;
      gc?.({ type: 'minor' });
    }
  }
  gc?.({ type: 'minor' });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  const b = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': type, 'content-length': String(b.length) });
  res.end(b);
}

const INDEX =
  '<!doctype html><html><head><meta charset="utf-8"><title>gsmjobs exporter</title></head><body>' +
  '<h1>gsmjobs exporter</h1><p>Метрики устройств AddReality и CubicMedia для Prometheus. / Device metrics of AddReality and CubicMedia for Prometheus.</p>' +
  '<ul><li><a href="/metrics">/metrics</a></li><li><a href="/healthz">/healthz</a> (состояние учётных записей / account health)</li></ul></body></html>';

export function createApp(deps: AppDeps): RequestListener {
  const metrics = async (req: IncomingMessage, res: ServerResponse) => {
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const s = await deps.exposition.scrape(gz);
    const headers: Record<string, string> = { 'content-type': s.contentType, 'content-length': String(s.length), 'cache-control': 'no-store' };
    if (s.encoding) headers['content-encoding'] = s.encoding;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await writeAll(res, s.encoding ? s.body : collecting(s.body));
  };

  const healthz = (res: ServerResponse) => {
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
    send(res, ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ok' : 'degraded', accounts }));
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    const route = !read ? undefined : path === '/metrics' ? 'metrics' : path === '/healthz' ? 'healthz' : path === '/' ? 'index' : undefined;
    void (async () => {
      if (route === 'metrics') await metrics(req, res);
      else if (route === 'healthz') healthz(res);
      else if (route === 'index') send(res, 200, 'text/html; charset=UTF-8', INDEX);
      else send(res, read ? 404 : 405, 'text/plain; charset=UTF-8', read ? 'not found / не найдено\n' : 'method not allowed / метод не поддерживается\n');
    })().catch((err: unknown) => {
      deps.log.error('request failed', { path, error: err });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=UTF-8', 'internal error / внутренняя ошибка\n');
      else res.destroy();
    });
  };
}
