// A web-form world for component tests: the hub's test world (two platforms a and b, real store,
// fake Prometheus) with the web form mounted, and a tiny cookie-keeping client over app.request().
import { createApp } from '../../hub/api/app.js';
import { PortDraftStore } from '../../hub/web/drafts.js';
import { mountWeb } from '../../hub/web/index.js';
import { createWorld, type World } from '../hub/world.js';

export interface WebWorld extends World {
  app: ReturnType<typeof createApp>;
  drafts: PortDraftStore;
}

export async function createWebWorld(): Promise<WebWorld> {
  const w = await createWorld();
  for (const p of ['a', 'b'] as const) {
    for (let i = 1; i <= 3; i++) {
      const labels = { platform_id: p, device_id: `dev-${p}-${i}`, name: `Player ${p}${i}` };
      w.prom.set('signage_device_online', labels, i === 2 ? 0 : 1);
      w.prom.set('node_cpu_temperature_celsius', labels, 60 + i);
    }
  }
  const app = createApp(w.deps);
  const drafts = new PortDraftStore(w.deps.port.drafts, w.deps.now);
  mountWeb(app, w.deps, { drafts });
  return { ...w, app, drafts };
}

export interface Res {
  status: number;
  text: string;
  headers: Headers;
  location: string | null;
}

/** A browser-ish client: keeps cookies, reads the CSRF token of the last page. */
export class WebClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(
    readonly app: WebWorld['app'],
    readonly headers: Record<string, string> = {},
  ) {}

  private remember(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = (pair ?? '').split('=');
      if (!k) continue;
      if (/max-age=0/i.test(c) || v === '') this.cookies.delete(k);
      else this.cookies.set(k, v ?? '');
    }
  }

  async request(method: string, path: string, form?: Record<string, string | string[]>, extra: Record<string, string> = {}): Promise<Res> {
    const headers: Record<string, string> = { ...this.headers, ...extra };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
      body = u.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await this.app.request(`http://hub.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    this.remember(res);
    // The wizard answers every post with a redirect to a step page (post/redirect/get): follow it.
    const to = res.headers.get('location');
    if (res.status === 303 && to && /\/jobs\/draft\//.test(to)) return this.request('GET', to);
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1] as string;
    return { status: res.status, text, headers: res.headers, location: res.headers.get('location') };
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, form: Record<string, string | string[]> = {}, withCsrf = true) {
    return this.request('POST', path, withCsrf ? { _csrf: this.csrf, ...form } : form);
  }

  async signIn(token: string): Promise<Res> {
    await this.get('/ui/signin');
    return this.post('/ui/signin', { token });
  }
}

/** The draft id and step of a wizard page, to post the next step as the browser would. */
export function wizardState(html: string): { draft_id: string; step: string } {
  const id = /name="draft_id" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const step = /name="step" value="([^"]*)"/.exec(html)?.[1] ?? '';
  return { draft_id: decodeEntities(id), step };
}

export function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
