// /metrics and /healthz over node:http (no framework needed for two routes).
import { type Server, createServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '#common/log.js';

export interface Health {
  ok: boolean;
  [k: string]: unknown;
}

export class HttpServer {
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly o: { host: string; port: number; registry: Registry; health: () => Health; log: Logger },
  ) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if (url === '/metrics') {
        this.o.registry
          .metrics()
          .then((body) => res.writeHead(200, { 'content-type': this.o.registry.contentType }).end(body))
          .catch((err: unknown) => res.writeHead(500).end(String(err)));
        return;
      }
      if (url === '/healthz') {
        const h = this.o.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    server.on('error', (err) => this.o.log.error('http server error', { err: err.message }));
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
