// Why a dry run says what it says: a code with parameters (for programs) and the sentence in
// Russian and English (for people). Pure.
import { duration, type Lang } from '../core/lang.js';

export type DryReasonCode =
  | 'prometheus_error'
  | 'would_fire'
  | 'would_fire_no_data'
  | 'disabled'
  | 'source_stale'
  | 'no_data'
  | 'not_hold'
  | 'outside_window'
  | 'already_fired'
  | 'cooldown'
  | 'pending';

export interface DryReason {
  code: DryReasonCode;
  params: { error?: string; for_s?: number };
  text: Record<Lang, string>;
}

const TEXTS: Record<DryReasonCode, Record<Lang, (p: DryReason['params'], lang: Lang) => string>> = {
  prometheus_error: { ru: (p) => `Prometheus не ответил, ничего не сработало бы: ${p.error ?? ''}`, en: (p) => `Prometheus failed, nothing would fire: ${p.error ?? ''}` },
  would_fire: { ru: () => 'Условия выполняются: сработало бы сейчас', en: () => 'Conditions hold: would fire now' },
  would_fire_no_data: { ru: () => 'Данных нет дольше заданного: сработало бы сейчас', en: () => 'No data for longer than the delay: would fire now' },
  disabled: { ru: () => 'Задание выключено', en: () => 'The job is disabled' },
  source_stale: {
    ru: () => 'Источник данных устарел (экспортёр не получает данные платформы): значения считаются отсутствующими',
    en: () => 'The data source is stale (the exporter cannot reach the platform): values count as no data',
  },
  no_data: { ru: () => 'Нет данных по устройству', en: () => 'No data for the device' },
  not_hold: { ru: () => 'Условия сейчас не выполняются', en: () => 'Conditions do not hold now' },
  outside_window: { ru: () => 'Сейчас вне активного времени', en: () => 'Outside the active time windows now' },
  already_fired: { ru: () => 'Уже сработало в этом эпизоде', en: () => 'Already fired for this episode' },
  cooldown: { ru: () => 'Пауза после последнего выполнения', en: () => 'In cooldown after the last execution' },
  pending: { ru: (p, l) => `Условия выполняются, ждём ${duration(l, p.for_s ?? 0)}`, en: (p, l) => `Conditions hold, waiting for ${duration(l, p.for_s ?? 0)}` },
};

export function dryReason(code: DryReasonCode, params: DryReason['params'] = {}): DryReason {
  return { code, params, text: { ru: TEXTS[code].ru(params, 'ru'), en: TEXTS[code].en(params, 'en') } };
}
