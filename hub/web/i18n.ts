// Russian (first) and English texts of the web form, and the choice of language per user:
// the `lang` cookie (set with ?lang=), else Accept-Language, else Russian.
import { SERVER_ZONE } from '../core/days.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { MESSAGES_RU } from './messages.js';
import { MESSAGES_EN } from './messages-en.js';

export type Lang = 'ru' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'en'];
export type MessageKey = keyof typeof MESSAGES_RU;

const TABLES: Record<Lang, Record<MessageKey, string>> = { ru: MESSAGES_RU, en: MESSAGES_EN };

export { isLang, pickLang } from '../core/lang.js';

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const table = TABLES[lang];
  return (key, vars) => {
    const text = table[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (w, k: string) => (vars[k] === undefined ? w : String(vars[k]))) : text;
  };
}

/** Numbers as people of the language write them. */
export function formatNumber(lang: Lang, n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: 3 }).format(n);
}

/** The hub server's zone: what a platform without a `time_zone` setting shows times in. */
export const DISPLAY_ZONE: string = SERVER_ZONE;

/**
 * The zone of the page being rendered: the web middleware runs each request of a signed-in
 * platform inside `withZone(<the platform's time_zone>)` (hub/web/zone.ts), so every formatTime
 * of every page shows that platform's zone without each page passing it along.
 */
const pageZone = new AsyncLocalStorage<string>();
export const withZone = <R>(zone: string, fn: () => R): R => pageZone.run(zone, fn);
export const currentZone = (): string => pageZone.getStore() ?? DISPLAY_ZONE;

const locale = (lang: Lang) => (lang === 'ru' ? 'ru-RU' : 'en-GB');

/**
 * The one date-and-time format of every page, in the page's zone, the zone named by its offset
 * (the same in both languages; abbreviations such as EET or MSK differ by locale and are
 * ambiguous): 07.12.2026, 09:30:00 GMT+3 (en: 07/12/2026, 09:30:00 GMT+3).
 */
export function formatTime(lang: Lang, iso: string | null | undefined, zone: string = currentZone()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(lang), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: zone, timeZoneName: 'shortOffset' }).format(d);
}

/** A calendar day (yyyy-mm-dd) in the same format as formatTime's date; `short` drops the year. */
export function formatDay(lang: Lang, day: string, short = false): string {
  const d = new Date(`${day}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(d.getTime())) return day;
  return new Intl.DateTimeFormat(locale(lang), { ...(short ? {} : { year: 'numeric' }), month: '2-digit', day: '2-digit', timeZone: 'UTC' }).format(d);
}
