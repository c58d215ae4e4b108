// The transport of webhook deliveries: one POST with node:http / node:https on a connection
// pinned to addresses that were resolved once and vetted by the caller (no second resolution, so
// no DNS rebinding between the check and the connect), never following redirects, with one
// timeout over the whole attempt, and a body excerpt of failures with secrets scrubbed.
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { WebhookRequest } from './webhook.js';

export type Outcome = { kind: 'result'; http_status: number | null; error: string | null } | { kind: 'aborted' };

export interface Target {
  url: URL;
  /** Host name without IPv6 brackets. */
  host: string;
  /** The vetted addresses (all passed the URL policy), in resolver order. */
  addresses: Array<{ address: string; family: number }>;
}

/** Characters of a failing response body kept in the attempt's error. */
export const BODY_EXCERPT = 200;

/** `p`, or a rejection after `ms` or when the signal aborts (the lookup itself cannot be cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number, clock: Clock, signal: AbortSignal, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new Error('aborted'));
    };
    const timer = clock.setTimeout(() => {
      done();
      reject(new Error(message));
    }, ms);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        done();
        resolve(v);
      },
      (err: unknown) => {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** A receiver that echoes the request in its error page must not put the secret or the signature into the log. */
export function scrub(text: string, secret: string, signatureValue: string | undefined): string {
  let out = text.split(secret).join('***');
  if (signatureValue) out = out.split(signatureValue).join('***');
  return out.replace(/v1=[0-9a-f]{64}/g, 'v1=***');
}

// --- the HTTP request --------------------------------------------------------------------------

/**
 * A lookup for http.request that answers with the vetted addresses only (no second resolution):
 * all of them when asked for all (Node's happy-eyeballs connect tries them in turn), else the first.
 */
function pinnedLookup(addresses: Array<{ address: string; family: number }>): LookupFunction {
  const first = addresses[0] as { address: string; family: number };
  return (_hostname, options, callback) => {
    if (options.all) callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };
}

/** POST once on a connection to a vetted address; never follows redirects; the timeout covers it all. */
export function post(t: Target, req: WebhookRequest, timeout: { left: number; total: number }, signal: AbortSignal, clock: Clock): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const tls = t.url.protocol === 'https:';
    let settled = false;
    let timer: TimerHandle | null = null;
    let onAbort: () => void = () => undefined;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      if (timer) clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(o);
    };
    if (signal.aborted) return finish({ kind: 'aborted' });
    const body = Buffer.from(req.body, 'utf8');
    const options: https.RequestOptions = {
      method: 'POST',
      protocol: t.url.protocol,
      hostname: t.host, // Host header and TLS name stay the original host; lookup pins the address
      port: t.url.port || (tls ? 443 : 80),
      path: `${t.url.pathname}${t.url.search}`,
      headers: { ...req.headers, 'Content-Length': String(body.length) },
      lookup: pinnedLookup(t.addresses),
      agent: false,
    };
    if (tls && !isIP(t.host)) options.servername = t.host;
    const r = (tls ? https : http).request(options);
    onAbort = () => {
      r.destroy();
      finish({ kind: 'aborted' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timer = clock.setTimeout(() => {
      r.destroy();
      finish({ kind: 'result', http_status: null, error: `timeout after ${timeout.total} ms` });
    }, timeout.left);
    r.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'result', http_status: null, error: [err.code, err.message].filter(Boolean).join(': ') || 'connection failed' }));
    r.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        res.destroy();
        return finish({ kind: 'result', http_status: status, error: null });
      }
      if (status >= 300 && status < 400) {
        res.destroy();
        const loc = res.headers.location;
        return finish({ kind: 'result', http_status: status, error: `redirect not followed${loc ? `: Location ${loc}` : ''}` });
      }
      let text = '';
      const done = () => {
        res.destroy();
        const excerpt = text.slice(0, BODY_EXCERPT);
        finish({ kind: 'result', http_status: status, error: excerpt || `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}` });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length >= BODY_EXCERPT) done(); // the rest is discarded
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    r.end(body);
  });
}
