// What each wizard step shows, loaded through the hub's API (devices with their online state,
// metrics with current values, sites, control devices, catalogs).
import type { ApiDeps } from '../api/context.js';
import type { Catalog } from '../catalog/catalog.js';
import { stepText, templateValues } from '../core/action.js';
import type { ControlDevice } from '../model/entities.js';
import type { Device, MetricValue } from '../prometheus/devices.js';
import type { ApiCall } from './api-client.js';
import { qs } from './api-client.js';
import type { Draft } from './draft.js';
import { inputOf } from './wizard-logic.js';
import type { ActionData, ControlRow, SiteRow } from './wizard-action.js';
import type { DeviceList, MetricRow } from './wizard-device.js';
import type { Lang } from './i18n.js';
import type { StepV2 } from '../remediation/playbook.js';
import { playbookWords, type WordsContext } from './playbook-words.js';
import type { WebhookView } from './remediation-types.js';

export const DEVICE_PAGE = 20;

/** A page of the platform's devices with their online state, both from GET /api/v1/devices. */
export async function deviceList(api: ApiCall, _deps: ApiDeps, _platformId: string, q: string, offset: number): Promise<DeviceList> {
  const r = await api<{ total: number; items: Device[] }>('GET', `/devices${qs({ q: q.trim(), limit: DEVICE_PAGE, offset })}`);
  if (!r.ok) return { total: 0, items: [], offset, limit: DEVICE_PAGE, error: r.error.message };
  return {
    total: r.data.total,
    offset,
    limit: DEVICE_PAGE,
    error: null,
    items: r.data.items.map((d) => ({ key_type: d.key_type, key: d.key, name: d.name, online: d.online })),
  };
}

export interface MetricsResult {
  metrics: MetricRow[];
  ms: number;
  /** When the values were read (an instant query: the time of the sample). */
  at?: string;
  error: string | null;
}

export async function deviceMetrics(api: ApiCall, device: Draft['device'], now: () => number = Date.now): Promise<MetricsResult> {
  if (!device) return { metrics: [], ms: 0, error: null };
  const t0 = now();
  const r = await api<{ items: MetricValue[] }>('GET', `/devices/${encodeURIComponent(device.key_type)}/${encodeURIComponent(device.key)}/metrics`);
  const ms = Math.round(now() - t0);
  if (!r.ok) return { metrics: [], ms, error: r.error.message };
  const seen = new Map<string, number | null>();
  for (const m of r.data.items) if (!seen.has(m.metric)) seen.set(m.metric, Number.isNaN(m.value) ? null : m.value);
  return { metrics: [...seen].map(([metric, value]) => ({ metric, value })), ms, at: new Date(t0).toISOString(), error: null };
}

interface SiteView {
  id: string;
  name: string;
  online: boolean;
  status: { modem?: { signal_dbm?: number | null }; outbox?: { depth: number } } | null;
}

/** The platform's webhook endpoints (none when the route answers nothing usable). */
export async function webhookList(api: ApiCall): Promise<WebhookView[]> {
  const r = await api<{ items: WebhookView[] }>('GET', '/webhooks');
  return r.ok && Array.isArray(r.data?.items) ? r.data.items : [];
}

/** What the plain words of steps need: control devices, catalogs, webhook URLs. */
export function wordsContext(deps: ApiDeps, controls: ReadonlyArray<{ id: string; name: string; model: string }>, webhooks: readonly WebhookView[]): WordsContext {
  return { controls: new Map(controls.map((c) => [c.id, { name: c.name, model: c.model }])), catalogs: deps.catalogs, webhooks: new Map(webhooks.map((h) => [h.id, h.url])) };
}

export async function actionData(api: ApiCall, deps: ApiDeps, platformId: string, draft: Draft, metrics: MetricRow[], lang: Lang = 'ru'): Promise<ActionData> {
  const [sites, controls, webhooks] = await Promise.all([
    api<{ items: SiteView[] }>('GET', '/sites'),
    api<{ items: ControlDevice[] }>('GET', '/control-devices'),
    draft.action_mode === 'command' ? Promise.resolve([]) : webhookList(api),
  ]);
  const siteRows: SiteRow[] = sites.ok
    ? sites.data.items.map((s) => ({ id: s.id, name: s.name, online: s.online, signal_dbm: s.status?.modem?.signal_dbm ?? null, outbox: s.status?.outbox?.depth ?? null }))
    : [];
  const controlList = controls.ok ? controls.data.items : [];
  const controlRows: ControlRow[] = controlList.map((c) => ({ id: c.id, name: c.name, phone: c.phone, model: c.model, site_ids: c.site_ids }));
  const control = controlList.find((c) => c.id === draft.control_device_id);
  let catalog: Catalog | null = null;
  if (control) {
    const r = await api<Catalog>('GET', `/catalogs/${encodeURIComponent(control.model)}`);
    catalog = r.ok ? r.data : null;
  }
  const values = Object.fromEntries(metrics.map((m) => [m.metric, m.value]));
  const input = await inputOf(draft, deps, platformId);
  const ctx = { job: { name: draft.name, device: input.device ?? { key_type: 'device_id' as const, key: '', name: '' }, conditions: input.conditions }, values };
  const tv = templateValues(ctx as Parameters<typeof templateValues>[0]);
  let sms: ActionData['sms'] = null;
  const step = draft.action_mode === 'command' ? input.steps[0] : undefined;
  if (control && step) {
    const r = stepText({ ...step, expires_s: 900 } as Parameters<typeof stepText>[0], control, deps.catalogs, ctx as Parameters<typeof stepText>[3]);
    if (r.ok) sms = { text: r.text, parts: r.parts, encoding: r.encoding };
  }
  const ctxWords = wordsContext(deps, controlRows, webhooks);
  const words = draft.action_mode === 'power_cycle' && draft.playbook ? safeWords(draft.playbook, lang, ctxWords) : null;
  const keptWords = draft.kept ? safeWords(draft.kept, lang, ctxWords) : null;
  return { sites: siteRows, controls: controlRows, catalog, templateValues: tv, sms, webhooks, words, keptWords };
}

/** Plain words of steps the draft carries (they came back from the browser: never trusted to be well-formed). */
export function safeWords(steps: readonly unknown[], lang: Lang, ctx: WordsContext): string[] {
  try {
    return playbookWords(steps as StepV2[], lang, ctx);
  } catch {
    return steps.map((s) => JSON.stringify(s));
  }
}
