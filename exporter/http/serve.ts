// Serve a node:http request listener on host:port (0 = a free port); close() ends every
// connection so that stop() leaves nothing behind. listen.ts serves hono apps (the simulator and
// tests) through the same `started`.
import { type RequestListener, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Listening } from './listen.js';

export function serve(handler: RequestListener, host: string, port: number): Promise<Listening> {
  return started(createServer(handler), host, port);
}

/** Listen with `server` on host:port and describe it; close() ends every connection. */
export async function started(server: Server, host: string, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${addr.port}`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
