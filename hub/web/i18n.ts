// Russian (first) and English texts of the web form, and the choice of language per user:
// the `lang` cookie (set with ?lang=), else Accept-Language, else Russian.
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

export function formatTime(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'UTC' }).format(d) + ' UTC';
}
