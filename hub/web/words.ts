// Plain-words preview of a job's decision, in Russian and English:
// "срабатывает, когда CPU выше 80 в течение 5 мин" / "fires when CPU is above 80 for 5 min".
// Pure; used by the wizard (server side) and mirrored by nothing: the page asks the server.
import { metricLabel } from '../core/names.js';
import type { Condition, NoDataPolicy, TimeWindows } from '../model/job.js';
import { formatNumber, type Lang } from './i18n.js';

const OPS: Record<Lang, Record<Condition['op'], string>> = {
  ru: { '>': 'выше', '>=': 'не ниже', '<': 'ниже', '<=': 'не выше', '==': 'равно', '!=': 'не равно' },
  en: { '>': 'is above', '>=': 'is at least', '<': 'is below', '<=': 'is at most', '==': 'equals', '!=': 'is not' },
};

const DAYS: Record<Lang, string[]> = {
  ru: ['пн', 'вт', 'ср', 'чт', 'пт', 'сб', 'вс'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
};

export function dayName(lang: Lang, isoDay: number): string {
  return DAYS[lang][isoDay - 1] ?? String(isoDay);
}

/** "5 мин", "1 ч 30 мин", "45 с" */
import { duration } from '../core/lang.js';

export { duration };

export function conditionWords(lang: Lang, c: Partial<Condition>): string {
  const metric = c.metric ? metricLabel(c.metric, lang) : '…';
  const op = c.op ? OPS[lang][c.op] : '…';
  const value = typeof c.value === 'number' && Number.isFinite(c.value) ? formatNumber(lang, c.value) : '…';
  return `${metric} ${op} ${value}`;
}

export interface Decision {
  conditions: Array<Partial<Condition>>;
  combine: 'and' | 'or';
  for_s: number;
  no_data: NoDataPolicy;
  windows: TimeWindows | null;
  cooldown_s: number;
}

export function windowsWords(lang: Lang, w: TimeWindows): string {
  const ranges = w.ranges.map((r) => `${[...r.days].sort().map((d) => dayName(lang, d)).join(', ')} ${r.from}–${r.to}`);
  return `${ranges.join('; ')} (${w.tz})`;
}

export function decisionWords(lang: Lang, d: Decision): string {
  const ru = lang === 'ru';
  const joiner = d.combine === 'or' ? (ru ? ' или ' : ' or ') : ru ? ' и ' : ' and ';
  const conds = d.conditions.map((c) => conditionWords(lang, c)).join(joiner) || '…';
  let text = ru ? `Срабатывает, когда ${conds}` : `Fires when ${conds}`;
  text += d.for_s > 0 ? (ru ? ` в течение ${duration(lang, d.for_s)}` : ` for ${duration(lang, d.for_s)}`) : ru ? ' (сразу)' : ' (at once)';
  if (d.windows) text += ru ? `, только в ${windowsWords(lang, d.windows)}` : `, only during ${windowsWords(lang, d.windows)}`;
  text += '.';
  if (d.no_data.mode === 'fire') {
    text += ru ? ` Если данных нет дольше ${duration(lang, d.no_data.after_s)}, тоже срабатывает.` : ` Also fires when there is no data for longer than ${duration(lang, d.no_data.after_s)}.`;
  } else {
    text += ru ? ' Без данных не срабатывает.' : ' Does not fire without data.';
  }
  if (d.cooldown_s > 0) text += ru ? ` Не чаще одного раза в ${duration(lang, d.cooldown_s)}.` : ` At most once every ${duration(lang, d.cooldown_s)}.`;
  return text;
}
