// Tools for hostile-load tests against a real process: the resident memory of a process tree
// (tsx runs the program in a child node), a huge request body streamed from one reused buffer
// (nothing of its size is ever allocated here), and a sampler of the peak memory meanwhile.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** VmRSS of a process and all its descendants, bytes. */
export function treeRss(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      continue;
    }
    stack.push(...children(p));
  }
  return total;
}

/** Sample treeRss every 20 ms until stop(); returns the peak. */
export function rssSampler(pid: number): { stop(): number } {
  let peak = treeRss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid));
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRss(pid));
    },
  };
}

export interface StreamResult {
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes the server accepted from us before answering or closing. */
  sent: number;
}

/**
 * POST `total` bytes of `fill` to a URL, declared with Content-Length (`declare`) or chunked,
 * writing one reused 64 KiB buffer with backpressure; stops when the server answers or closes.
 * With `stallAfter`, stops writing after that many bytes and waits for the answer (so the status
 * is read before the server closes the socket under an unread body).
 */
export function streamBody(url: string, total: number, options: { declare: boolean; headers?: Record<string, string>; fill?: number; stallAfter?: number }): Promise<StreamResult> {
  const chunk = Buffer.alloc(64 * 1024, options.fill ?? 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let answered: StreamResult | null = null;
    let finished = false;
    const finish = (r: StreamResult) => {
      if (finished) return;
      finished = true;
      resolve(r);
    };
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.declare ? { 'content-length': String(total) } : {}), ...options.headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 10_000) body += d;
      });
      res.on('end', () => {
        answered = { status: res.statusCode ?? null, headers: res.headers, body, sent };
        req.destroy();
        finish(answered);
      });
    });
    req.on('error', () => finish(answered ?? { status: null, headers: {}, body: '', sent }));
    req.on('close', () => finish(answered ?? { status: null, headers: {}, body: '', sent }));
    const pump = () => {
      while (!answered && !req.destroyed && sent < total) {
        if (options.stallAfter !== undefined && sent >= options.stallAfter) return;
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (sent >= total && !req.destroyed) req.end();
    };
    pump();
  });
}
