// A playbook's steps in plain words, Russian and English, for the wizard's review step and the
// execution page: "Отправить «Выключить на N минут» (minutes=1) на Розетка Холл с площадки
// moscow-1", "Подождать 1 мин", "Проверить в течение 5 мин: онлайн равно 1" ... Pure.
import type { Catalog } from '../catalog/catalog.js';
import type { StepV2 } from '../remediation/playbook.js';
import type { Lang } from './i18n.js';
import { conditionWords, duration } from './words.js';

export interface WordsContext {
  /** Control devices of the platform by id (name, model). */
  controls: ReadonlyMap<string, { name: string; model: string }>;
  catalogs: ReadonlyMap<string, Catalog>;
  /** Webhook endpoints by id (their URL). */
  webhooks: ReadonlyMap<string, string>;
}

const W = {
  ru: {
    send: (cmd: string, to: string, site: string) => `Отправить ${cmd} на «${to}» с площадки ${site}`,
    text: (t: string) => `SMS «${t}»`,
    wait: (d: string) => `Подождать ${d}`,
    verify: (within: string, cond: string, hold: string) => `Проверить в течение ${within}, что ${cond}${hold ? `, без перерыва ${hold}` : ''}`,
    recovered: 'если восстановилось — завершить',
    unknown: { notify_only: 'нет данных — только оповестить людей', continue: 'нет данных — продолжить', stop: 'нет данных — остановиться' },
    notify: 'Оповестить',
    on_call: (site: string) => `SMS дежурным через площадку ${site}`,
    numbers: (n: string, site: string) => `SMS на ${n} через площадку ${site}`,
    hooks: (h: string) => `вебхуки: ${h}`,
    and: ' и ',
    or: ' или ',
    if_not: (n: number) => `если шаг ${n} не помог: `,
  },
  en: {
    send: (cmd: string, to: string, site: string) => `Send ${cmd} to "${to}" from site ${site}`,
    text: (t: string) => `SMS "${t}"`,
    wait: (d: string) => `Wait ${d}`,
    verify: (within: string, cond: string, hold: string) => `Check within ${within} that ${cond}${hold ? `, without a break for ${hold}` : ''}`,
    recovered: 'if recovered, stop',
    unknown: { notify_only: 'no data: only notify people', continue: 'no data: go on', stop: 'no data: stop' },
    notify: 'Notify',
    on_call: (site: string) => `SMS to the on-call list through site ${site}`,
    numbers: (n: string, site: string) => `SMS to ${n} through site ${site}`,
    hooks: (h: string) => `webhooks: ${h}`,
    and: ' and ',
    or: ' or ',
    if_not: (n: number) => `if step ${n} did not help: `,
  },
} as const;

function commandName(s: Extract<StepV2, { type: 'send' }>, lang: Lang, ctx: WordsContext): string {
  const w = W[lang];
  const command = s.command;
  if (command.kind === 'text') return w.text(command.text);
  const model = ctx.controls.get(s.control_device_id)?.model;
  const cmd = model ? ctx.catalogs.get(model)?.commands.find((c) => c.id === command.command_id) : undefined;
  const name = cmd ? (lang === 'ru' ? cmd.name_ru : cmd.name_en) : command.command_id;
  const params = Object.entries(command.params ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return `${lang === 'ru' ? `«${name}»` : `"${name}"`}${params ? ` (${params})` : ''}`;
}

/** One step in plain words. */
export function stepWords(s: StepV2, lang: Lang, ctx: WordsContext): string {
  const w = W[lang];
  switch (s.type) {
    case 'send':
      return w.send(commandName(s, lang, ctx), ctx.controls.get(s.control_device_id)?.name ?? s.control_device_id, s.site_id);
    case 'wait':
      return w.wait(duration(lang, s.duration_s));
    case 'verify': {
      const cond = s.conditions.map((c) => conditionWords(lang, c)).join(s.combine === 'or' ? w.or : w.and);
      return `${w.verify(duration(lang, s.within_s), cond, s.hold_s ? duration(lang, s.hold_s) : '')}; ${w.recovered}; ${w.unknown[s.on_unknown]}`;
    }
    case 'notify': {
      const parts: string[] = [];
      if (s.sms) parts.push(s.sms.to === 'on_call' ? w.on_call(s.sms.site_id) : w.numbers(s.sms.to.join(', '), s.sms.site_id));
      if (s.webhooks.length) parts.push(w.hooks(s.webhooks.map((id) => ctx.webhooks.get(id) ?? id).join(', ')));
      return `${w.notify}: ${parts.join('; ')} — ${lang === 'ru' ? '«' : '"'}${s.text}${lang === 'ru' ? '»' : '"'}`;
    }
  }
}

/** Every step in plain words; the step after a verify says it runs only when that check failed. */
export function playbookWords(steps: readonly StepV2[], lang: Lang, ctx: WordsContext): string[] {
  let afterVerify: number | null = null;
  return steps.map((s, i) => {
    const prefix = afterVerify !== null ? W[lang].if_not(afterVerify + 1) : '';
    afterVerify = s.type === 'verify' ? i : null;
    const text = stepWords(s, lang, ctx);
    return prefix ? `${prefix}${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
  });
}

/** The type of a step in the user's language (timeline). */
export function stepTypeName(type: string, lang: Lang): string {
  const names: Record<string, [string, string]> = {
    send: ['команда', 'command'],
    wait: ['ожидание', 'wait'],
    verify: ['проверка', 'check'],
    notify: ['оповещение', 'notify'],
  };
  const n = names[type];
  return n ? n[lang === 'ru' ? 0 : 1] : type;
}
