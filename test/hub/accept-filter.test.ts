// filterAccepts (issue 18): a connection refused from its peer address is reset before Node
// makes a Socket of it (the server's 'connection' listener never runs, the client sees a reset
// without a byte), others reach the listener as before.
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { filterAccepts } from '../../hub/mqtt/accept-filter.js';

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((r) => s.close(() => r()));
});

function dial(port: number, localAddress: string): Promise<{ error: string | null; bytes: number }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    let bytes = 0;
    let error: string | null = null;
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => resolve({ error, bytes }));
    s.on('connect', () => s.write('hello'));
  });
}

describe('filterAccepts', () => {
  it('resets refused addresses before a Socket exists and passes the others on', async () => {
    const seen: string[] = [];
    const asked: Array<string | undefined> = [];
    const srv = createServer({ pauseOnConnect: true }, (socket) => {
      seen.push(socket.remoteAddress ?? '?');
      socket.resume();
      socket.end('welcome');
    });
    server = srv;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    expect(filterAccepts(srv, (address) => (asked.push(address), address === '127.0.61.2'))).toBe(true);
    const port = (srv.address() as { port: number }).port;
    const refused = await dial(port, '127.0.61.2');
    const admitted = await dial(port, '127.0.61.3');
    expect(asked).toEqual(['127.0.61.2', '127.0.61.3']);
    expect(seen).toEqual(['127.0.61.3']);
    expect(refused.bytes).toBe(0);
    expect(refused.error).toBe('ECONNRESET');
    expect(admitted).toEqual({ error: null, bytes: 'welcome'.length });
  });

  it('changes nothing on a server that does not listen (no handle)', () => {
    const srv = createServer();
    expect(filterAccepts(srv, () => true)).toBe(false);
  });
});
