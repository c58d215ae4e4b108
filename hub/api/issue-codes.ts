// Validation issue codes (issue 17): every field error of the API carries `code` and `params`
// beside `field` and `message`; this module is the one list of codes with their texts in Russian
// and English (`issueText`), used by API clients' docs and by the web form to render an error in
// the user's words. Checks name their code where they refuse (hub/model/issue.ts); zod's
// built-in issues are mapped here by their issue code, never by their text. Pure.
import type { z } from 'zod';
import { customCode, type IssueParams, patternCode } from '../model/issue.js';

export type { IssueParams };
type Texts = { ru: string; en: string };

/** Texts with `{name}` placeholders; a code whose params are optional lists variants below. */
const TEXTS = {
  required: { ru: 'обязательное поле', en: 'is required' },
  invalid_type: { ru: 'неверный тип значения: нужно {expected}', en: 'has the wrong type: must be {expected}' },
  too_short: { ru: 'не короче {min} символов', en: 'must be at least {min} characters long' },
  too_long: { ru: 'не длиннее {max} символов', en: 'must be at most {max} characters long' },
  min_items: { ru: 'нужно не меньше {min} элементов', en: 'needs at least {min} items' },
  min_one: { ru: 'выберите или добавьте хотя бы один элемент', en: 'needs at least one item' },
  max_items: { ru: 'не больше {max} элементов', en: 'allows at most {max} items' },
  out_of_range: { ru: 'значение должно быть от {min} до {max}', en: 'must be between {min} and {max}' },
  too_small: { ru: 'значение должно быть не меньше {min}', en: 'must be at least {min}' },
  too_big: { ru: 'значение должно быть не больше {max}', en: 'must be at most {max}' },
  not_integer: { ru: 'нужно целое число', en: 'must be a whole number' },
  not_a_number: { ru: 'введите число', en: 'must be a number' },
  not_finite: { ru: 'нужно конечное число', en: 'must be a finite number' },
  negative: { ru: 'не может быть отрицательным', en: 'must not be negative' },
  invalid_enum: { ru: 'допустимые значения: {values}', en: 'must be one of: {values}' },
  invalid_format: { ru: 'неверный формат ({format})', en: 'has an invalid format ({format})' },
  time_hhmm: { ru: 'время в формате HH:MM (00:00–24:00)', en: 'must be HH:MM (00:00-24:00)' },
  metric_name: { ru: 'имя метрики Prometheus: латинские буквы, цифры, «_» и «:»', en: 'must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)' },
  header_name: { ru: 'имя заголовка HTTP: латинские буквы, цифры и «-»', en: 'must be an HTTP header name' },
  id_format: { ru: 'от 1 до 63 символов: a-z, 0-9, «_» или «-», начиная с буквы или цифры', en: 'must be 1-63 chars of a-z, 0-9, "_" or "-", starting with a letter or digit' },
  key_format: { ru: 'от 1 до 64 символов: A-Z, a-z, 0-9, «_» или «-»', en: 'must be 1-64 chars of A-Z, a-z, 0-9, "_" or "-"' },
  phone: { ru: 'номер телефона: необязательный «+» и от 3 до 20 цифр без пробелов', en: 'must be an optional "+" followed by 3-20 digits, no spaces' },
  pattern: { ru: 'не соответствует шаблону {pattern}', en: 'must match {pattern}' },
  unknown_field: { ru: 'неизвестные поля: {keys}', en: 'unknown fields: {keys}' },
  invalid_value: { ru: 'недопустимое значение', en: 'is not a valid value' },
  not_unicode: { ru: 'недопустимый текст: одиночный суррогат UTF-16', en: 'must be valid Unicode text (it holds a lone UTF-16 surrogate)' },
  control_chars: { ru: 'не должно содержать управляющих символов (переводов строки, табуляции)', en: 'must not contain control characters (line breaks, tabs, escapes)' },
  no_hash: { ru: 'не должно содержать «#»', en: 'must not contain "#"' },
  invalid_time_zone: { ru: 'нужен часовой пояс IANA, например Europe/Moscow', en: 'must be an IANA time zone such as Europe/Moscow' },
  url_scheme: { ru: 'нужен абсолютный адрес http(s)', en: 'must be an absolute http(s) URL' },
  url_credentials: { ru: 'адрес не должен содержать логин и пароль (используйте секрет подписи)', en: 'must not contain credentials (use the signature secret)' },
  url_fragment: { ru: 'адрес не должен содержать #фрагмент', en: 'must not contain a #fragment' },
  url_loopback: { ru: 'адрес не может указывать на локальный узел (allow_loopback выключен)', en: 'must not target a loopback address (allow_loopback is off)' },
  url_private: { ru: 'адрес не может указывать на частную или служебную сеть (allow_private выключен)', en: 'must not target a private, link-local or special-purpose address (allow_private is off)' },
  not_found: { ru: '{what} {id} не найден(о)', en: '{what} {id} not found' },
  exists: { ru: '{what} {id} уже существует', en: '{what} {id} already exists' },
  site_not_accepted: { ru: 'устройство управления {device} не принимает команды с площадки {site}', en: 'control device {device} does not accept commands from site {site}' },
  unknown_model: { ru: 'неизвестная модель; допустимые: {values}', en: 'unknown model; one of {values}' },
  no_catalog: { ru: 'для модели {model} нет каталога команд; используйте свободный текст', en: 'control device model {model} has no command catalog; use free text' },
  unknown_command: { ru: 'это не команда модели {model}', en: 'is not a command of {model}' },
  unknown_param: { ru: 'у команды {command} нет такого параметра', en: 'unknown parameter of command {command}' },
  missing_value: { ru: 'не хватает значения для {text}', en: 'missing a value for {text}' },
  too_many_sms_parts: { ru: 'нужно {parts} частей SMS ({encoding}), допустимо не больше {max}', en: 'needs {parts} SMS parts ({encoding}), at most {max} allowed' },
  steps_need_action: { ru: 'нужен шаг отправки команды или оповещения', en: 'must hold a send or notify step' },
  verify_after_send: { ru: 'проверка должна идти после шага отправки', en: 'verify must follow a send step' },
  notify_target: { ru: 'укажите площадку для SMS или хотя бы один вебхук', en: 'must name an SMS site or at least one webhook' },
  incident_needs_target: {
    ru: 'инцидент должен кого-то оповестить: задайте on_call и notify_site_id или включите вебхук, либо отключите правило',
    en: 'an incident must notify someone: set on_call and notify_site_id or add an enabled webhook first, or turn the rule off',
  },
  invalid_json: { ru: 'тело запроса не является корректным JSON', en: 'is not valid JSON' },
  admin_needs_platform: { ru: 'обязателен для токена администратора', en: 'is required with the admin token' },
  invalid_idempotency_key: { ru: 'ключ идемпотентности: от 1 до {max} видимых символов ASCII', en: 'idempotency key: 1 to {max} visible ASCII characters' },
  invalid_if_match: { ru: 'If-Match: нужна версия вида "3" или *', en: 'If-Match: must be a version like "3" or *' },
  invalid: { ru: 'недопустимое значение', en: 'is invalid' },
} as const satisfies Record<string, Texts>;

export type IssueCode = keyof typeof TEXTS;
/** Texts only (a range with one bound, a list needing one item); the API never sends these codes. */
const VARIANTS = new Set(['too_small', 'too_big', 'min_one']);
/** Every code the API sends in an issue. */
export const ISSUE_CODES: readonly string[] = Object.keys(TEXTS).filter((k) => !VARIANTS.has(k));

/** Words for `{what}` of not_found / exists. */
const WHAT: Record<string, Texts> = {
  site: { ru: 'площадка', en: 'site' },
  control_device: { ru: 'устройство управления', en: 'control device' },
  webhook: { ru: 'вебхук', en: 'webhook endpoint' },
  platform: { ru: 'платформа', en: 'platform' },
  job: { ru: 'задание', en: 'job' },
};

const TYPE_NAMES: Record<string, Texts> = {
  string: { ru: 'текст', en: 'text' },
  number: { ru: 'число', en: 'a number' },
  boolean: { ru: 'да или нет (true/false)', en: 'true or false' },
  object: { ru: 'объект', en: 'an object' },
  array: { ru: 'список', en: 'a list' },
};

function show(name: string, v: unknown, lang: 'ru' | 'en'): string {
  if (Array.isArray(v)) return v.map((x) => String(x)).join(', ');
  if (name === 'what' && typeof v === 'string') return WHAT[v]?.[lang] ?? v;
  if (name === 'expected' && typeof v === 'string') return TYPE_NAMES[v]?.[lang] ?? v;
  return v === undefined || v === null ? '' : String(v);
}

/** The text of a code in a language; unknown codes read as `invalid`. */
export function issueText(code: string, params: Record<string, unknown>, lang: 'ru' | 'en'): string {
  let key = (code in TEXTS ? code : 'invalid') as IssueCode;
  // A range with one bound reads as "at least" / "at most".
  if (key === 'out_of_range' && params.max === undefined) key = 'too_small';
  else if (key === 'out_of_range' && params.min === undefined) key = 'too_big';
  else if (key === 'min_items' && Number(params.min) === 1) key = 'min_one';
  const text = TEXTS[key][lang];
  return text.replace(/\{([a-z_]+)\}/g, (_m, name: string) => show(name, params[name], lang)).replace(/\s+/g, ' ').trim();
}

export interface Classified {
  code: IssueCode;
  params: IssueParams;
}

/**
 * The code an issue gets when its source named none (a check added without a code). Not a code
 * of the API's list: the test that walks real bad requests fails on it, and a client reads it
 * as `invalid`.
 */
export const UNCODED: Classified = { code: 'uncoded' as IssueCode, params: {} };

const bound = (v: unknown): number | string => (typeof v === 'bigint' ? Number(v) : (v as number));

/**
 * The code of one zod issue (parsed with `reportInput: true`, so a missing value reads as
 * required). zod's built-in issues map by their issue code (and a pattern rule by the code it was
 * registered with); custom issues carry their own code. No message text is read.
 */
export function classifyZod(i: z.core.$ZodIssue): Classified {
  const input = (i as { input?: unknown }).input;
  switch (i.code) {
    case 'invalid_type':
      if (input === undefined) return { code: 'required', params: {} };
      if (i.expected === 'number' && typeof input === 'number' && Number.isNaN(input)) return { code: 'not_a_number', params: {} };
      if (i.expected === 'int') return { code: typeof input === 'number' ? 'not_integer' : 'not_a_number', params: {} };
      return { code: 'invalid_type', params: { expected: i.expected } };
    case 'too_small': {
      const min = bound(i.minimum);
      if (i.origin === 'string') return min === 1 ? { code: 'required', params: {} } : { code: 'too_short', params: { min } };
      if (i.origin === 'array' || i.origin === 'set') return { code: 'min_items', params: { min } };
      return { code: 'out_of_range', params: { min } };
    }
    case 'too_big': {
      const max = bound(i.maximum);
      if (i.origin === 'string') return { code: 'too_long', params: { max } };
      if (i.origin === 'array' || i.origin === 'set') return { code: 'max_items', params: { max } };
      return { code: 'out_of_range', params: { max } };
    }
    case 'invalid_value':
      return { code: 'invalid_enum', params: { values: i.values.map((v) => String(v)) } };
    case 'invalid_format':
      if (i.format === 'url') return { code: 'url_scheme', params: {} };
      if (i.format === 'regex') {
        // Pattern rules name their code where they are defined (hub/model/issue.ts codedPattern).
        const pattern = (i as { pattern?: string }).pattern;
        const code = patternCode(pattern);
        return code ? { code: code as IssueCode, params: {} } : { code: 'pattern', params: { pattern: pattern ?? '' } };
      }
      return { code: 'invalid_format', params: { format: i.format } };
    case 'unrecognized_keys':
      return { code: 'unknown_field', params: { keys: i.keys } };
    case 'not_multiple_of':
      return { code: 'not_integer', params: {} };
    case 'custom': {
      // Refinements carry their code in the issue's params (hub/model/issue.ts coded).
      const c = customCode(i.params);
      return c && c.code in TEXTS ? { code: c.code as IssueCode, params: c.params } : UNCODED;
    }
    default:
      return { code: input === undefined ? 'required' : 'invalid_value', params: {} };
  }
}
