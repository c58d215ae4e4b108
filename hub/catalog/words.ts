// Catalog commands in plain words (issue 17): group and parameter names in the user's language
// (English from models/names-en.json and models/words-en.json), the commands people use most,
// and a command with its parameters as a phrase ("power off for 1 minute", not #12#0#1#1#).
import wordsEn from './models/words-en.json' with { type: 'json' };
import type { CatalogCommand } from './catalog.js';

export type Lang = 'ru' | 'en';

const EN = wordsEn as { categories: Record<string, string>; params: Record<string, string> };

export function categoryName(category: string, lang: Lang): string {
  return lang === 'en' ? (EN.categories[category] ?? category) : category;
}

export function paramTitle(title: string, lang: Lang): string {
  return lang === 'en' ? (EN.params[title] ?? title) : title;
}

export function commandName(cmd: CatalogCommand, lang: Lang): string {
  return lang === 'en' ? cmd.name_en : cmd.name_ru;
}

/** The commands operators use most, first in the list (power-cycling a player). */
export const COMMON_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  SIMPAL_D210: ['12_0_minutes_1', '02_0', '01_0'],
  SIMPAL_D410: ['11_0_2_minutes', '02', '01'],
};

function minutes(n: string, lang: Lang): string {
  const v = Number(n);
  if (lang === 'en') return `${n} ${v === 1 ? 'minute' : 'minutes'}`;
  const a = Math.abs(v) % 100;
  const b = a % 10;
  const word = !Number.isInteger(v) ? 'минуты' : a > 10 && a < 20 ? 'минут' : b === 1 ? 'минуту' : b >= 2 && b <= 4 ? 'минуты' : 'минут';
  return `${n} ${word}`;
}

const LINE = { ru: ['обе линии', 'линию 1', 'линию 2'], en: ['both lines', 'line 1', 'line 2'] };

/** Phrases of the common commands; others read as "<name>: <param> = <value>". */
const PHRASES: Record<string, (p: Record<string, string>, lang: Lang) => string> = {
  '12_0_minutes_1': (p, l) => (l === 'en' ? `power off for ${minutes(p.minutes ?? '?', l)}` : `выключить питание на ${minutes(p.minutes ?? '?', l)}`),
  '12_0_minutes_0': (p, l) => (l === 'en' ? `power on for ${minutes(p.minutes ?? '?', l)}` : `включить питание на ${minutes(p.minutes ?? '?', l)}`),
  '01_0': (_p, l) => (l === 'en' ? 'power on' : 'включить питание'),
  '02_0': (_p, l) => (l === 'en' ? 'power off' : 'выключить питание'),
  '01': (_p, l) => (l === 'en' ? 'switch both lines on' : 'включить обе линии'),
  '02': (_p, l) => (l === 'en' ? 'switch both lines off' : 'выключить обе линии'),
};
for (const line of [0, 1, 2] as const) {
  PHRASES[`11_${line}_2_minutes`] = (p, l) => (l === 'en' ? `switch ${LINE.en[line]} off in ${minutes(p.minutes ?? '?', l)}` : `выключить ${LINE.ru[line]} через ${minutes(p.minutes ?? '?', l)}`);
  PHRASES[`11_${line}_1_minutes`] = (p, l) => (l === 'en' ? `switch ${LINE.en[line]} on in ${minutes(p.minutes ?? '?', l)}` : `включить ${LINE.ru[line]} через ${minutes(p.minutes ?? '?', l)}`);
}

/** A command with its parameters in plain words. */
export function commandPhrase(cmd: CatalogCommand, params: Readonly<Record<string, string | number>>, lang: Lang): string {
  const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const phrase = PHRASES[cmd.id];
  if (phrase) return phrase(values, lang);
  const parts = Object.entries(cmd.params)
    .filter(([k]) => values[k] !== undefined && values[k] !== '')
    .map(([k, spec]) => `${paramTitle(spec.title || k, lang)}: ${values[k]}`);
  const name = commandName(cmd, lang);
  return parts.length ? `${name} (${parts.join(', ')})` : name;
}
