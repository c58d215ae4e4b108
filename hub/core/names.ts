// Automatic job names, in Russian (default) and English:
// "Мониторинг <device> - <condition>" / "Monitoring <device> - <condition>".
import type { Condition, DeviceRef } from '../model/job.js';

export type Lang = 'ru' | 'en';

const OP_WORDS: Record<Lang, Record<Condition['op'], string>> = {
  ru: { '>': '>', '>=': '≥', '<': '<', '<=': '≤', '==': '=', '!=': '≠' },
  en: { '>': '>', '>=': '>=', '<': '<', '<=': '<=', '==': '=', '!=': '!=' },
};

/** Short labels for well-known exporter metrics; any other metric keeps its own name. */
const METRIC_LABELS: Record<string, Record<Lang, string>> = {
  signage_device_online: { ru: 'онлайн', en: 'online' },
  signage_device_last_seen_timestamp_seconds: { ru: 'последняя связь', en: 'last seen' },
};

export function metricLabel(metric: string, lang: Lang): string {
  return METRIC_LABELS[metric]?.[lang] ?? metric;
}

export function conditionText(c: Condition, lang: Lang): string {
  return `${metricLabel(c.metric, lang)} ${OP_WORDS[lang][c.op]} ${c.value}`;
}

export function autoName(device: DeviceRef, conditions: readonly Condition[], combine: 'and' | 'or', lang: Lang = 'ru'): string {
  const joiner = lang === 'ru' ? (combine === 'and' ? ' И ' : ' ИЛИ ') : combine === 'and' ? ' AND ' : ' OR ';
  const who = device.name || device.key;
  const text = `${lang === 'ru' ? 'Мониторинг' : 'Monitoring'} ${who} - ${conditions.map((c) => conditionText(c, lang)).join(joiner)}`;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
