// Catalogs, SMS text of a step, automatic names, PromQL escaping, job schema errors.
import { describe, expect, it } from 'vitest';
import { commandId, loadCatalogs, renderCommand } from '../../hub/catalog/catalog.js';
import { MAX_PARTS, stepText } from '../../hub/core/action.js';
import { autoName } from '../../hub/core/names.js';
import { escapeLabelValue, selector } from '../../hub/core/promql.js';
import { renderTemplate } from '../../hub/core/template.js';
import type { ControlDevice } from '../../hub/model/entities.js';
import { jobInput, type SendStep } from '../../hub/model/job.js';

const catalogs = loadCatalogs();
const socket: ControlDevice = {
  id: 'cd1',
  platform_id: 'ar',
  name: 'Socket',
  phone: '+79161234567',
  model: 'SIMPAL_D210',
  site_ids: ['s1'],
  created_at: '',
  updated_at: '',
};
const ctx = {
  job: { name: 'j', device: { key_type: 'device_id' as const, key: '30785', name: 'Arzamas_Lesnaia_1' }, conditions: [{ metric: 'signage_device_online', op: '==' as const, value: 0 }] },
  values: { signage_device_online: 0 },
};
const step = (command: SendStep['command']): SendStep => ({ type: 'send', site_id: 's1', control_device_id: 'cd1', command, expires_s: 900 });

describe('catalogs', () => {
  it('loads both SimPal models with unique stable ids', () => {
    expect([...catalogs.keys()].sort()).toEqual(['SIMPAL_D210', 'SIMPAL_D410']);
    const d210 = catalogs.get('SIMPAL_D210');
    expect(d210?.commands.find((c) => c.template === '#12#0#{minutes}#1#')?.id).toBe('12_0_minutes_1');
    expect(commandId('#00#')).toBe('00');
    // Every command has an English name of its own.
    for (const c of catalogs.values()) for (const k of c.commands) expect(k.name_en, `${c.model} ${k.id}`).not.toBe(k.name_ru);
  });
  it('renders typed parameters and names the bad one', () => {
    const cmd = catalogs.get('SIMPAL_D210')?.commands.find((c) => c.id === '12_0_minutes_1');
    if (!cmd) throw new Error('missing command');
    expect(renderCommand(cmd, { minutes: 5 })).toEqual({ ok: true, text: '#12#0#5#1#' });
    expect(renderCommand(cmd, { minutes: '5' })).toEqual({ ok: true, text: '#12#0#5#1#' });
    expect(renderCommand(cmd, { minutes: 2.5 })).toMatchObject({ ok: false, field: 'params.minutes' });
    expect(renderCommand(cmd, {})).toMatchObject({ ok: false, field: 'params.minutes', message: 'is required' });
    expect(renderCommand(cmd, { minutes: 5, extra: 1 })).toMatchObject({ ok: false, field: 'params.extra' });
    const phone = catalogs.get('SIMPAL_D210')?.commands.find((c) => c.id === '06_phone');
    if (!phone) throw new Error('missing command');
    expect(renderCommand(phone, { phone: '12#34' })).toMatchObject({ ok: false, field: 'params.phone' });
    expect(renderCommand(phone, { phone: '+79161234567' })).toEqual({ ok: true, text: '#06#+79161234567#' });
  });
});

describe('step text', () => {
  it('catalog command', () => {
    expect(stepText(step({ kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 3 } }), socket, catalogs, ctx)).toMatchObject({ ok: true, text: '#12#0#3#1#', parts: 1, encoding: 'gsm7' });
    expect(stepText(step({ kind: 'catalog', command_id: 'nope', params: {} }), socket, catalogs, ctx)).toMatchObject({ ok: false, field: 'command.command_id' });
    expect(stepText(step({ kind: 'catalog', command_id: '00', params: {} }), { ...socket, model: 'generic' }, catalogs, ctx)).toMatchObject({ ok: false, field: 'command.command_id' });
  });
  it('free text with placeholders, and SMS part limit', () => {
    const r = stepText(step({ kind: 'text', text: '{device} ({device_key}): {metric}={value}, порог {threshold}' }), socket, catalogs, ctx);
    expect(r).toMatchObject({ ok: true, text: 'Arzamas_Lesnaia_1 (30785): signage_device_online=0, порог 0', encoding: 'ucs2' });
    const long = stepText(step({ kind: 'text', text: 'Ж'.repeat(67 * MAX_PARTS + 1) }), socket, catalogs, ctx);
    expect(long).toMatchObject({ ok: false, field: 'command.text' });
  });
  it('template leaves unknown placeholders', () => {
    expect(renderTemplate('{a} {b}', { a: 1 })).toBe('1 {b}');
  });
  it('template never reads inherited properties', () => {
    expect(renderTemplate('{constructor} {toString} {a}', { a: 'x' })).toBe('{constructor} {toString} x');
  });
});

describe('automatic names', () => {
  it('in Russian and English', () => {
    const c = [{ metric: 'signage_device_online', op: '==' as const, value: 0 }, { metric: 'cpu_temp', op: '>=' as const, value: 80 }];
    const d = { key_type: 'device_id' as const, key: '30785', name: 'Arzamas_Lesnaia_1' };
    expect(autoName(d, c, 'and', 'ru')).toBe('Мониторинг Arzamas_Lesnaia_1 - онлайн = 0 И cpu_temp ≥ 80');
    expect(autoName(d, c, 'or', 'en')).toBe('Monitoring Arzamas_Lesnaia_1 - online = 0 OR cpu_temp >= 80');
    expect(autoName({ ...d, name: '' }, c.slice(0, 1), 'and', 'en')).toBe('Monitoring 30785 - online = 0');
  });
});

describe('PromQL safety', () => {
  it('escapes label values so they cannot close the string or widen the tenant', () => {
    const evil = 'x"} or {platform_id=~".*';
    const q = selector('ar', 'm', [{ label: 'device_id', op: '=', value: evil }]);
    expect(q).toBe('m{platform_id="ar",device_id="x\\"} or {platform_id=~\\".*"}');
    expect(escapeLabelValue('a\\b\nc')).toBe('a\\\\b\\nc');
    expect(() => selector('ar', 'm{a="b"}')).toThrow(/invalid metric/);
    expect(() => selector('ar', 'm', [{ label: 'a"b', op: '=', value: '' }])).toThrow(/invalid label/);
  });
});

describe('job schema', () => {
  const valid = {
    device: { key_type: 'device_id', key: '30785', name: 'A' },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }],
    steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd1', command: { kind: 'text', text: 'hi' } }],
  };
  it('applies defaults', () => {
    const j = jobInput.parse(valid);
    expect(j).toMatchObject({ enabled: true, combine: 'and', for_s: 0, cooldown_s: 1800, no_data: { mode: 'ignore', after_s: 300 }, windows: null });
  });
  it('names the bad field', () => {
    const r = jobInput.safeParse({ ...valid, conditions: [{ metric: 'up{a="b"}', op: '=>', value: 'x' }], windows: { tz: 'Mars/Base', ranges: [] } });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['conditions.0.metric', 'conditions.0.op', 'conditions.0.value', 'windows.ranges', 'windows.tz']);
  });
  it('refuses unknown fields (no platform_id smuggling)', () => {
    expect(jobInput.safeParse({ ...valid, platform_id: 'other' }).success).toBe(false);
  });
});
