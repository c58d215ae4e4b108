// Serve a node:http request listener on host:port (0 = a free port); close() ends every
// connection so that stop() leaves nothing behind. (listen.ts does the same for hono apps:
// the simulator and tests.)
import { type RequestListener, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Listening } from './listen.js';

export async function serve(handler: RequestListener, host: string, port: number): Promise<Listening> {
  const server = createServer(handler);
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
