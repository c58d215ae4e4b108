// Serve a hono app with @hono/node-server on host:port (0 = a free port); close() ends every
// connection so that stop() leaves nothing behind (serve.ts `started`).
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { started } from './serve.js';

export interface Listening {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function listen(app: Hono, host: string, port: number): Promise<Listening> {
  return started(createAdaptorServer({ fetch: app.fetch }) as Server, host, port);
}
