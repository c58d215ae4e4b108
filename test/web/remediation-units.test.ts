// Pure parts of the remediation pages: playbook steps in plain words, recognising a power-cycle
// job for editing (and keeping a playbook the wizard cannot edit), the settings form's body and
// error mapping, the daily chart and the date range, API issue shapes.
import { describe, expect, it } from 'vitest';
import { loadCatalogs } from '../../hub/catalog/catalog.js';
import type { Job } from '../../hub/model/job.js';
import { powerCycleTemplate, type PowerCycleOptions, type StepV2 } from '../../hub/remediation/playbook.js';
import { normalIssue } from '../../hub/web/api-client.js';
import { decodeDraft, draftFromJob, encodeDraft, recognizePowerCycle, stepOf, toJobInput } from '../../hub/web/draft.js';
import { DailyChart, fillDays } from '../../hub/web/fleet-chart.js';
import { translator } from '../../hub/web/i18n.js';
import { MESSAGES_EN } from '../../hub/web/messages-en.js';
import { MESSAGES_RU } from '../../hub/web/messages.js';
import { playbookWords, type WordsContext } from '../../hub/web/playbook-words.js';
import { rangeOf } from '../../hub/web/routes-fleet.js';
import { ruleWords } from '../../hub/web/routes-incidents.js';
import { trips } from '../../hub/remediation/correlation.js';
import { stateName, stepName } from '../../hub/web/routes-execution.js';
import { bodyOf, formFieldOf, valuesOf } from '../../hub/web/settings-form.js';
import { powerCycleBody, templateField } from '../../hub/web/wizard-playbook.js';
import { mergeStep } from '../../hub/web/wizard-logic.js';

const catalogs = loadCatalogs();
const ctx: WordsContext = {
  controls: new Map([
    ['cd-1', { name: 'Розетка Холл', model: 'SIMPAL_D210' }],
    ['cd-4', { name: 'Socket 4', model: 'SIMPAL_D410' }],
  ]),
  catalogs,
  webhooks: new Map([['wh-1', 'https://ops.example/hook']]),
};
const D210: PowerCycleOptions = { model: 'SIMPAL_D210', site_id: 's1', control_device_id: 'cd-1', off_min: 2, long_off_min: 10, boot_s: 240, notify: { sms: { site_id: 's1', to: 'on_call' }, webhooks: ['wh-1'] }, lang: 'ru' };
const D410: PowerCycleOptions = { model: 'SIMPAL_D410', site_id: 's1', control_device_id: 'cd-4', off_min: 1, long_off_min: 5, boot_s: 300, line: 2, notify: { sms: null, webhooks: ['wh-1'] }, lang: 'en' };

function jobWith(steps: unknown[]): Job {
  const at = new Date(0).toISOString();
  return {
    id: 'job-1', platform_id: 'a', name: 'J', name_auto: false, enabled: true,
    device: { key_type: 'device_id', key: 'dev-1', name: 'Player 1' },
    conditions: [{ metric: 'signage_device_online', op: '==', value: 0 }], combine: 'and', for_s: 0,
    no_data: { mode: 'ignore', after_s: 300 }, windows: null, cooldown_s: 600,
    steps: steps as Job['steps'], created_at: at, updated_at: at,
  };
}

describe('playbook steps in plain words', () => {
  it('reads the D210 power-cycle template in Russian and English, naming the catalog commands', () => {
    const steps = powerCycleTemplate(D210);
    const ru = playbookWords(steps, 'ru', ctx);
    expect(ru).toHaveLength(7);
    expect(ru[0]).toMatch(/^Отправить «.+» \(minutes=2\) на «Розетка Холл» с площадки s1$/);
    expect(ru[1]).toBe('Подождать 2 мин');
    expect(ru[2]).toContain('Проверить в течение 4 мин, что онлайн равно 1');
    expect(ru[3]).toMatch(/^если шаг 3 не помог: отправить «.+» \(minutes=10\)/);
    expect(ru[6]).toMatch(/^если шаг 6 не помог: оповестить: SMS дежурным через площадку s1; вебхуки: https:\/\/ops\.example\/hook/);
    const en = playbookWords(steps, 'en', ctx);
    expect(en[0]).toBe('Send "Power off for a number of minutes" (minutes=2) to "Розетка Холл" from site s1');
    expect(en[2]).toContain('no data: only notify people');
  });

  it('reads the D410 template (two commands per power-cycle) and free text', () => {
    const en = playbookWords(powerCycleTemplate(D410), 'en', ctx);
    expect(en[0]).toMatch(/^Send ".+" \(minutes=1\) to "Socket 4" from site s1$/);
    expect(en[1]).toMatch(/^Send ".+" to "Socket 4" from site s1$/);
    expect(en).toHaveLength(9);
    expect(en.filter((x) => /Send /i.test(x))).toHaveLength(4);
    const text: StepV2[] = [{ type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'text', text: 'REBOOT' }, expires_s: 900 }];
    expect(playbookWords(text, 'ru', ctx)).toEqual(['Отправить SMS «REBOOT» на «Розетка Холл» с площадки s1']);
  });
});

describe('editing a job with a playbook', () => {
  it('recognises a power-cycle job, shows its options and saves the same steps', () => {
    for (const opts of [D210, D410]) {
      const steps = powerCycleTemplate(opts);
      expect(recognizePowerCycle(steps)).toMatchObject({ model: opts.model, off_min: opts.off_min, long_off_min: opts.long_off_min, boot_s: opts.boot_s });
      const d = draftFromJob(jobWith(steps), false);
      expect(d.action_mode).toBe('power_cycle');
      expect(d.pc).toMatchObject({ off_min: String(opts.off_min), long_off_min: String(opts.long_off_min), boot_s: String(opts.boot_s), notify_sms: opts.notify.sms !== null, webhooks: ['wh-1'] });
      // Through the hidden field and back, the steps stay exactly the job's.
      const back = decodeDraft(encodeDraft(d));
      expect(toJobInput(back).steps).toEqual(steps);
    }
  });

  it('keeps a playbook the wizard cannot edit, read-only, unless the operator picks one command', () => {
    const custom = [
      { type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'text', text: 'A' }, expires_s: 900 },
      { type: 'wait', duration_s: 60 },
      { type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'text', text: 'B' }, expires_s: 900 },
    ];
    expect(recognizePowerCycle(custom as StepV2[])).toBeNull();
    const d = decodeDraft(encodeDraft(draftFromJob(jobWith(custom), false)));
    expect(d.action_mode).toBe('playbook');
    expect(toJobInput(d).steps).toEqual(custom);
    // Step 4 posted without touching the choice: still kept.
    const same = mergeStep(d, 4, { 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-1', action_mode: 'playbook' });
    expect(toJobInput(same).steps).toEqual(custom);
    const one = mergeStep(d, 4, { 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-1', action_mode: 'command', 'steps[0].command.kind': 'text', 'steps[0].command.text': 'A' });
    expect(toJobInput(one).steps).toEqual([{ type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'text', text: 'A' }, expires_s: 900 }]);
  });

  it('a one-command job stays the one-click path', () => {
    const d = draftFromJob(jobWith([{ type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'catalog', command_id: '12_0_minutes_1', params: { minutes: 1 } }, expires_s: 900 }]), false);
    expect(d.action_mode).toBe('command');
    expect(d.kept).toBeNull();
    expect(d.command_id).toBe('12_0_minutes_1');
  });

  it('reads the power-cycle fields of step 4 and maps the template API errors to them', () => {
    const d0 = decodeDraft(encodeDraft(draftFromJob(jobWith([{ type: 'send', site_id: 's1', control_device_id: 'cd-1', command: { kind: 'text', text: 'x' }, expires_s: 900 }]), false)));
    const d = mergeStep(d0, 4, { 'steps[0].site_id': 's1', 'steps[0].control_device_id': 'cd-4', action_mode: 'power_cycle', 'pc.off_min': '3', 'pc.long_off_min': '9', 'pc.boot_s': '200', 'pc.line': '1', 'pc.notify.webhooks': ['wh-1', 'wh-2'] });
    expect(d.action_mode).toBe('power_cycle');
    // Switching to power-cycle proposes the job's site for the people's SMS.
    expect(d.pc).toEqual({ off_min: '3', long_off_min: '9', boot_s: '200', line: '1', notify_sms: false, notify_site_id: 's1', webhooks: ['wh-1', 'wh-2'] });
    expect(powerCycleBody(d, 'SIMPAL_D410', 'en')).toEqual({ model: 'SIMPAL_D410', site_id: 's1', control_device_id: 'cd-4', off_min: 3, long_off_min: 9, boot_s: 200, line: 1, notify: { sms: null, webhooks: ['wh-1', 'wh-2'] }, lang: 'en' });
    expect(powerCycleBody(d, 'SIMPAL_D210', 'ru')).not.toHaveProperty('line');
    expect(templateField('off_min')).toBe('pc.off_min');
    expect(templateField('notify.sms.site_id')).toBe('pc.notify.sms.site_id');
    expect(templateField('notify')).toBe('pc.notify');
    expect(templateField('site_id')).toBe('steps[0].site_id');
    for (const f of ['pc.off_min', 'pc.notify', 'action_mode']) expect(stepOf(f)).toBe(4);
  });
});

describe('settings form', () => {
  const t = translator('ru');
  const settings = { on_call: [{ name: 'Иван', phone: '+79161112233' }], notify_site_id: 's1', device_limit: { max: 3, window_s: 86400 }, sms_budget: { per_hour: 60, sites: { s2: 10 } }, correlation: { window_s: 300, min_count: 10, min_share: null, share_min_count: 3 } };

  it('round-trips the settings through the form, dropping blank on-call rows', () => {
    const v = valuesOf(settings, ['s1', 's2']);
    expect(v['sms_budget.sites.s2']).toBe('10');
    expect(v['correlation.min_share']).toBe('');
    const { body, errors } = bodyOf({ ...v, 'on_call[1].name': '', 'on_call[1].phone': '', 'on_call[2].name': 'Пётр', 'on_call[2].phone': '+79990000000' }, t);
    expect(errors).toEqual({});
    expect(body).toEqual({ ...settings, time_zone: null, on_call: [...settings.on_call, { name: 'Пётр', phone: '+79990000000' }] });
  });

  it('round-trips failover_after_s: seconds, never, and a bad number said on its field (issue 19)', () => {
    for (const failover_after_s of [300, null]) {
      const v = valuesOf({ ...settings, failover_after_s }, []);
      expect(v.failover_mode).toBe(failover_after_s === null ? 'never' : 'after');
      expect(bodyOf(v, t).body.failover_after_s).toBe(failover_after_s);
    }
    // Never keeps the number typed but sends null; a non-number with "after" is refused on the field.
    expect(bodyOf({ ...valuesOf(settings, []), failover_mode: 'never', failover_after_s: 'x' }, t).body.failover_after_s).toBeNull();
    expect(bodyOf({ ...valuesOf(settings, []), failover_mode: 'after', failover_after_s: 'x' }, t).errors).toEqual({ failover_after_s: 'Введите число' });
  });

  it('says "enter a number" next to the field, and maps API on_call indexes back to form rows', () => {
    const v = valuesOf(settings, []);
    const { errors, rows } = bodyOf({ ...v, 'device_limit.max': 'три', 'on_call[0].name': '', 'on_call[0].phone': '', 'on_call[3].name': 'X', 'on_call[3].phone': '123' }, t);
    expect(errors).toEqual({ 'device_limit.max': 'Введите число' });
    expect(rows).toEqual([3]);
    expect(formFieldOf('on_call[0].phone', rows)).toBe('on_call[3].phone');
    expect(formFieldOf('correlation.min_share', rows)).toBe('correlation.min_share');
  });

  it('reads API issues named by field, by path string or by path array', () => {
    expect(normalIssue({ field: 'a.b', message: 'm' })).toEqual({ field: 'a.b', message: 'm' });
    expect(normalIssue({ path: 'device_limit.max', message: 'm' })).toEqual({ field: 'device_limit.max', message: 'm' });
    expect(normalIssue({ path: ['on_call', 0, 'phone'], message: 'm' })).toEqual({ field: 'on_call[0].phone', message: 'm' });
  });
});

describe('fleet chart and range', () => {
  it('fills the days of the range and draws one stacked bar per day, heights by count', () => {
    const rows = fillDays([{ day: '2026-11-02', recovered: 3, not_recovered: 1, unknown: 0, escalated: 0, cancelled: 0 }], '2026-11-01', '2026-11-03');
    expect(rows.map((r) => r.day)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    const svg = String(DailyChart({ t: translator('en'), lang: 'en', rows }));
    expect(svg.match(/<g class="day"/g)).toHaveLength(3);
    const rec = /<rect [^>]*class="o-recovered"[^>]*>/.exec(svg)?.[0] ?? '';
    const bad = /<rect [^>]*class="o-not_recovered"[^>]*>/.exec(svg)?.[0] ?? '';
    const h = (s: string) => Number(/height="([\d.]+)"/.exec(s)?.[1]);
    expect(h(rec)).toBeCloseTo(3 * h(bad), 0);
    expect(svg).not.toMatch(/style=/);
    expect(svg).toContain('02/11/2026: recovered 3, not recovered 1');
  });

  it('defaults to the last 30 days and keeps since <= until', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(rangeOf(undefined, undefined, now, 'UTC')).toEqual({ since: '2026-10-27', until: '2026-11-25', api: { since: '2026-10-27T00:00:00.000Z', until: '2026-11-26T00:00:00.000Z' } });
    expect(rangeOf('2026-12-01', '2026-11-01', now, 'UTC').since).toBe('2026-11-01');
    expect(rangeOf('x', '../etc', now, 'UTC').until).toBe('2026-11-25');
  });

  it('counts calendar days in the platform zone (issue 17)', () => {
    // 22:00 UTC on 25 Nov is already 26 Nov in Vladivostok (UTC+10): its "today" and its day starts differ.
    const now = Date.parse('2026-11-25T22:00:00Z');
    expect(rangeOf(undefined, undefined, now, 'Asia/Vladivostok')).toEqual({ since: '2026-10-28', until: '2026-11-26', api: { since: '2026-10-27T14:00:00.000Z', until: '2026-11-26T14:00:00.000Z' } });
    // A DST change inside the range: New York's 8 Mar 2026 has 23 hours.
    expect(rangeOf('2026-03-08', '2026-03-08', now, 'America/New_York').api).toEqual({ since: '2026-03-08T05:00:00.000Z', until: '2026-03-09T04:00:00.000Z' });
  });
});

describe('execution words', () => {
  it('translates timeline states and names steps by their type', () => {
    const ru = translator('ru');
    expect(stateName(ru, 'not_recovered')).toBe('не восстановилось');
    expect(stateName(ru, 'something_new')).toBe('something_new');
    const e = { playbook: powerCycleTemplate(D210) };
    expect(stepName(ru, 'ru', e, 2)).toBe('Шаг 3 · проверка');
    expect(stepName(translator('en'), 'en', e, 1)).toBe('Step 2 · wait');
    expect(stepName(ru, 'ru', e, null)).toBe('выполнение');
  });

  it('has every text in English too', () => {
    expect(Object.keys(MESSAGES_EN).sort()).toEqual(Object.keys(MESSAGES_RU).sort());
    for (const [k, v] of Object.entries(MESSAGES_EN)) expect(v, k).not.toBe('');
  });
});

describe('incident rule', () => {
  it('says the rule the hub states in the user language, from the hub\'s own sentences', () => {
    const cfg = { window_s: 300, min_count: 10, min_share: 0.2, share_min_count: 3 };
    const byCount = trips(12, 40, cfg) ?? '';
    const byShare = trips(4, 10, cfg) ?? '';
    expect(ruleWords(byCount, 'ru')).toBe('12 устр. за 300 с (порог: не меньше 10)');
    expect(ruleWords(byShare, 'ru')).toBe('4 из 10 устр. за 300 с (порог: не меньше 20 % парка)');
    expect(ruleWords(byShare, 'en')).toBe('4 of 10 devices within 300 s (threshold: at least 20 % of the fleet)');
    expect(ruleWords('something else', 'ru')).toBe('something else');
  });
});
