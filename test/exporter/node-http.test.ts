// The exporter's HTTP client on node:http (no undici in the process, issue 21): answers
// decoded as fetch() would, errors mapped to the same ApiError kinds by requestJson.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../hub/common/clock.js';
import { ApiError, requestJson } from '../../exporter/sources/http.js';
import { nodeFetch } from '../../exporter/sources/node-http.js';
import { freePort } from '../support/ports.js';
import { fastRetry } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function server(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const deps = { fetch: nodeFetch, clock: systemClock, random: () => 0.5 };

describe('nodeFetch', () => {
  it('sends the method, headers and JSON body, and decodes gzip and br answers', async () => {
    const seen: Array<{ method?: string; token?: string; type?: string; body: string }> = [];
    const base = await server((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, token: req.headers['x-api-token'] as string, type: req.headers['content-type'], body });
        const text = Buffer.from(JSON.stringify({ echo: JSON.parse(body || 'null'), name: 'Самара' }));
        if (req.url === '/br') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' });
          res.end(brotliCompressSync(text));
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(gzipSync(text));
        }
      });
    });
    const signal = new AbortController().signal;
    expect(await requestJson(deps, fastRetry, { method: 'POST', url: `${base}/gz`, headers: { 'X-API-Token': 'tok' }, body: { offset: 300 } }, signal)).toEqual({ echo: { offset: 300 }, name: 'Самара' });
    expect(await requestJson(deps, fastRetry, { method: 'GET', url: `${base}/br` }, signal)).toEqual({ echo: null, name: 'Самара' });
    expect(seen[0]).toEqual({ method: 'POST', token: 'tok', type: 'application/json', body: '{"offset":300}' });
    expect(seen[1]!.method).toBe('GET');
  });

  it('gives the status and Retry-After of an error answer to the retry logic', async () => {
    const base = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '120' });
      res.end('slow down');
    });
    const err = (await requestJson(deps, { ...fastRetry, attempts: 1 }, { method: 'GET', url: base }, new AbortController().signal).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('maps a refused connection to a network error and a silent server to a timeout', async () => {
    const closed = await freePort();
    const refused = (await requestJson(deps, { ...fastRetry, attempts: 1 }, { method: 'GET', url: `http://127.0.0.1:${closed}/x` }, new AbortController().signal).catch((e: unknown) => e)) as ApiError;
    expect(refused.kind).toBe('network');
    expect(refused.message).toContain('ECONNREFUSED');
    const base = await server(() => undefined);
    const slow = (await requestJson(deps, { ...fastRetry, attempts: 1, timeout_ms: 200 }, { method: 'GET', url: base }, new AbortController().signal).catch((e: unknown) => e)) as ApiError;
    expect(slow.kind).toBe('timeout');
  });

  it('maps an answer cut in the middle to a network error', async () => {
    const base = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"data":[');
      setTimeout(() => res.destroy(), 20);
    });
    const err = (await requestJson(deps, { ...fastRetry, attempts: 1 }, { method: 'GET', url: base }, new AbortController().signal).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('network');
  });
});
