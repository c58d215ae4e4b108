// Calling createApp() through app.request() with a token.
import { createApp } from '../../hub/api/app.js';
import type { World } from './world.js';

export type Caller = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function caller(w: World, token: string | null): Caller {
  const app = createApp(w.deps);
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, body: parsed };
  };
}

export const jobBody = (over: Record<string, unknown> = {}) => ({
  device: { key_type: 'device_id', key: 'dev-a-1', name: 'Player a' },
  conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
  for_s: 60,
  steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } } }],
  ...over,
});
