// The user's language (Russian first, English), shared by the API (`?lang=`, Accept-Language)
// and the web form (its per-user choice).
import type { Lang } from './names.js';

export type { Lang };

export function isLang(v: unknown): v is Lang {
  return v === 'ru' || v === 'en';
}

/** An explicit choice if valid, else the best of Accept-Language, else Russian. */
export function pickLang(chosen: string | undefined | null, acceptLanguage: string | undefined): Lang {
  if (isLang(chosen)) return chosen;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([0-9.]+)$/.exec(p.trim())).find(Boolean);
      return { lang: (tag ?? '').toLowerCase().split('-')[0] ?? '', q: q ? Number(q[1]) : 1, i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) if (isLang(r.lang)) return r.lang;
  return 'ru';
}

/** "1 h 30 min" / "1 ч 30 мин". */
export function duration(lang: Lang, seconds: number): string {
  const u = lang === 'ru' ? { d: 'сут', h: 'ч', m: 'мин', s: 'с' } : { d: 'd', h: 'h', m: 'min', s: 's' };
  if (seconds <= 0) return `0 ${u.s}`;
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, unit] of [[86400, u.d], [3600, u.h], [60, u.m], [1, u.s]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
