// The platform APIs over node:http / node:https instead of the global fetch(): fetch loads
// undici (its JavaScript and a WebAssembly HTTP parser), about 30-40 MiB of RSS for a program
// whose whole budget at 100,000 devices is 160 MiB (issue 21). Keep-alive connections, bodies
// read whole (one page of the device list), gzip/deflate/br answers decoded.
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FetchFn, HttpResponse } from './http.js';

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 8 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 8 }) };

function decode(res: IncomingMessage, raw: Buffer): string {
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const body = enc === 'gzip' || enc === 'x-gzip' ? gunzipSync(raw) : enc === 'deflate' ? inflateSync(raw) : enc === 'br' ? brotliDecompressSync(raw) : raw;
  return body.toString('utf8');
}

/** A FetchFn over node:http: resolves once the whole body is in; network errors keep their code as `cause`. */
export const nodeFetch: FetchFn = (url, init) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const u = new URL(url);
    const https = u.protocol === 'https:';
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    const fail = (err: unknown) => reject(init.signal?.aborted ? (init.signal.reason ?? err) : new Error('fetch failed', { cause: err }));
    const req = (https ? httpsRequest : httpRequest)(u, { method: init.method, headers, agent: https ? agents.https : agents.http, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('connection closed before the end of the answer'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        let text: string;
        try {
          text = decode(res, Buffer.concat(chunks));
        } catch (err) {
          fail(err);
          return;
        }
        const status = res.statusCode ?? 0;
        resolve({
          status,
          headers: { get: (name: string) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          } },
          text: () => Promise.resolve(text),
        });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
