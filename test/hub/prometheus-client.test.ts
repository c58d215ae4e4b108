// The Prometheus client against a local HTTP server: per-platform headers (X-Scope-OrgID), the
// query in a POST form body, timeout, error answers, bounded concurrency.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../hub/prometheus/client.js';

let server: Server;
let url = '';
const seen: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
let mode: 'ok' | 'slow' | 'error' | 'garbage' = 'ok';
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reply = () => {
        inFlight--;
        if (mode === 'error') {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
        } else if (mode === 'garbage') {
          res.writeHead(502);
          res.end('<html>bad gateway</html>');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', platform_id: 'a' }, value: [1700000000.5, '1'] }] } }));
        }
      };
      setTimeout(reply, mode === 'slow' ? 400 : 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('PrometheusClient', () => {
  it('sends the tenant header and the query, parses the vector', async () => {
    mode = 'ok';
    const client = new PrometheusClient({ timeoutMs: 1000, concurrency: 2 });
    const r = await client.query({ url: `${url}/prefix/`, headers: { 'X-Scope-OrgID': 'tenant-a' } }, 'up{platform_id="a"}');
    expect(r).toEqual([{ metric: { __name__: 'up', platform_id: 'a' }, value: 1, at: 1700000000500 }]);
    const last = seen[seen.length - 1];
    expect(last?.headers['x-scope-orgid']).toBe('tenant-a');
    expect(new URLSearchParams(last?.body).get('query')).toBe('up{platform_id="a"}');
  });

  it('times out, reports errors with their message, and bounds concurrency', async () => {
    const outcomes: boolean[] = [];
    const client = new PrometheusClient({ timeoutMs: 150, concurrency: 2, onQuery: (ok) => outcomes.push(ok) });
    const ep = { url, headers: {} };
    mode = 'slow';
    await expect(client.query(ep, 'up')).rejects.toMatchObject({ kind: 'timeout' });
    mode = 'error';
    await expect(client.query(ep, 'up')).rejects.toThrow(/HTTP 400: parse error/);
    mode = 'garbage';
    await expect(client.query(ep, 'up')).rejects.toMatchObject({ kind: 'http' });
    await expect(client.query({ url: 'http://127.0.0.1:1', headers: {} }, 'up')).rejects.toMatchObject({ kind: 'network' });
    expect(outcomes).toEqual([false, false, false, false]);
    mode = 'ok';
    await new Promise((r) => setTimeout(r, 450)); // the timed-out request finishes server-side
    maxInFlight = 0;
    // A generous timeout here: on a loaded machine 150 ms can pass before a 20 ms answer is read.
    const patient = new PrometheusClient({ timeoutMs: 10_000, concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, () => patient.query(ep, 'up')));
    expect(maxInFlight).toBe(2);
  });
});
