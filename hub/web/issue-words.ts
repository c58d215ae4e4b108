// Field errors in the user's words (issue 17). Every field error the form shows goes through
// issueWords(issue, lang): an issue with a code (and params) is said from the table below; an
// issue without one (an API that sends only `message`) is recognised from the API's English
// message when possible, else its message is shown as sent. Messages of the validation library
// never reach a page: the form's own validation passes zodWords as its error map.
// Seam: once the API sends codes (hub/api/issue-codes.ts issueText), issueWords can defer to it.
import { ISSUE_CODES, issueText } from '../api/issue-codes.js';
import type { Lang } from './i18n.js';

export interface IssueLike {
  field: string;
  message: string;
  code?: string;
  params?: Record<string, unknown>;
}

type P = Record<string, unknown>;
type Say = (p: P) => string;
const s = (p: P, k: string): string => (p[k] === undefined || p[k] === null ? '' : String(p[k]));

/** What each code says, in Russian and English. */
export const ISSUE_WORDS: Record<string, { ru: Say; en: Say }> = {
  required: { ru: () => 'Заполните это поле', en: () => 'Fill in this field' },
  not_a_number: { ru: () => 'Введите число', en: () => 'Enter a number' },
  not_integer: { ru: () => 'Введите целое число', en: () => 'Enter a whole number' },
  negative: { ru: () => 'Число не может быть отрицательным', en: () => 'The number cannot be negative' },
  too_small: { ru: (p) => `Не меньше ${s(p, 'min')}${p.unit === 'min' ? ' мин' : ''}`, en: (p) => `At least ${s(p, 'min')}${p.unit === 'min' ? ' min' : ''}` },
  out_of_range: { ru: (p) => `От ${s(p, 'min')} до ${s(p, 'max')}`, en: (p) => `From ${s(p, 'min')} to ${s(p, 'max')}` },
  too_big: { ru: (p) => `Не больше ${s(p, 'max')}${p.unit === 'min' ? ' мин' : ''}`, en: (p) => `At most ${s(p, 'max')}${p.unit === 'min' ? ' min' : ''}` },
  too_long: { ru: (p) => `Не длиннее ${s(p, 'max')} символов`, en: (p) => `At most ${s(p, 'max')} characters` },
  too_many: { ru: (p) => `Не больше ${s(p, 'max')} элементов`, en: (p) => `At most ${s(p, 'max')} items` },
  no_metric: { ru: () => 'Отметьте хотя бы одну метрику', en: () => 'Tick at least one metric' },
  no_step: { ru: () => 'Выберите площадку, устройство и команду', en: () => 'Choose a site, a device and a command' },
  no_range: { ru: () => 'Добавьте хотя бы один интервал', en: () => 'Add at least one time range' },
  no_day: { ru: () => 'Отметьте хотя бы один день', en: () => 'Tick at least one day' },
  too_few: { ru: () => 'Выберите хотя бы один вариант', en: () => 'Choose at least one' },
  time_format: { ru: () => 'Время в виде ЧЧ:ММ, от 00:00 до 24:00', en: () => 'A time as HH:MM, 00:00 to 24:00' },
  time_zone: { ru: () => 'Часовой пояс, например Europe/Moscow', en: () => 'A time zone such as Europe/Moscow' },
  metric_name: { ru: () => 'Имя метрики: латинские буквы, цифры, _ и :', en: () => 'A metric name: Latin letters, digits, _ and :' },
  url: { ru: () => 'Полный адрес, начинается с http:// или https://', en: () => 'A full address starting with http:// or https://' },
  phone: { ru: () => 'Номер в международном виде, например +79161234567', en: () => 'A number in international form, such as +79161234567' },
  choice: { ru: () => 'Выберите вариант из списка', en: () => 'Choose one of the options' },
  one_of: { ru: (p) => `Одно из значений: ${s(p, 'values')}`, en: (p) => `One of: ${s(p, 'values')}` },
  pattern: { ru: () => 'Значение в неверном виде', en: () => 'The value is not in the right form' },
  no_hash: { ru: () => 'Без символа #', en: () => 'Without the # sign' },
  site_not_found: { ru: (p) => `Площадки «${s(p, 'id')}» нет`, en: (p) => `There is no site "${s(p, 'id')}"` },
  control_not_found: { ru: () => 'Такого управляемого устройства нет', en: () => 'There is no such control device' },
  webhook_not_found: { ru: () => 'Такого вебхука нет', en: () => 'There is no such webhook' },
  not_found: { ru: () => 'Не найдено', en: () => 'Not found' },
  site_not_allowed: { ru: (p) => `«${s(p, 'device')}» не принимает команды с площадки «${s(p, 'site')}»`, en: (p) => `"${s(p, 'device')}" does not take commands from site "${s(p, 'site')}"` },
  no_catalog: { ru: () => 'У этой модели нет списка команд: введите свой текст', en: () => 'This model has no command list: type your own text' },
  not_a_command: { ru: () => 'Этой команды нет у выбранного устройства', en: () => 'The chosen device has no such command' },
  unknown_param: { ru: () => 'У команды нет такого параметра', en: () => 'The command has no such parameter' },
  missing_value: { ru: () => 'Заполните параметры команды', en: () => 'Fill in the command parameters' },
  sms_parts: {
    ru: (p) => `Получится ${s(p, 'parts')} SMS, можно не больше ${s(p, 'max')}: сократите текст`,
    en: (p) => `This takes ${s(p, 'parts')} SMS, at most ${s(p, 'max')} allowed: shorten the text`,
  },
  notify_target: { ru: () => 'Укажите площадку для SMS или хотя бы один вебхук', en: () => 'Name an SMS site or at least one webhook' },
  step_order: { ru: () => 'Проверка должна идти после отправки команды', en: () => 'A check must follow a sent command' },
  send_or_notify: { ru: () => 'Нужна отправка команды или уведомление', en: () => 'A command or a notification is needed' },
  id_format: { ru: () => 'До 63 знаков: латинские строчные буквы, цифры, _ и -', en: () => 'Up to 63 characters: lower-case Latin letters, digits, _ and -' },
  exists: { ru: () => 'Такой код уже занят', en: () => 'This id is taken already' },
  min_chars: { ru: (p) => `Не короче ${s(p, 'min')} символов`, en: (p) => `At least ${s(p, 'min')} characters` },
  unknown_model: { ru: () => 'Неизвестная модель: выберите из списка', en: () => 'Unknown model: choose one from the list' },
  invalid: { ru: () => 'Проверьте это значение', en: () => 'Check this value' },
};

const TOO_FEW_BY_FIELD: Array<[RegExp, string]> = [
  [/(^|\.)conditions$/, 'no_metric'],
  [/^steps$/, 'no_step'],
  [/ranges$/, 'no_range'],
  [/days$/, 'no_day'],
];

/** Text of the validation library (or an untranslated schema message): never shown as is. */
const LIBRARY_TEXT = /Invalid input|Неверный ввод|expected|ожидалось|Too (big|small)|Слишком (большое|маленькое)|Invalid (string|option|format)|Неверн|^must |^<=|^>=/i;

/** The API's codes (hub/api/issue-codes.ts) said with this table's words. */
const ALIASES: Record<string, (field: string) => string> = {
  time_hhmm: () => 'time_format',
  min_one: (field) => TOO_FEW_BY_FIELD.find(([re]) => re.test(field))?.[1] ?? 'too_few',
  min_items: (field) => TOO_FEW_BY_FIELD.find(([re]) => re.test(field))?.[1] ?? 'too_few',
  max_items: () => 'too_many',
  invalid_enum: () => 'one_of',
  not_finite: () => 'not_a_number',
  too_short: () => 'min_chars',
  not_found: (field) => (/site_id$/.test(field) ? 'site_not_found' : /control_device_id$/.test(field) ? 'control_not_found' : /webhooks/.test(field) ? 'webhook_not_found' : 'not_found'),
  site_not_accepted: () => 'site_not_allowed',
  unknown_command: () => 'not_a_command',
  too_many_sms_parts: () => 'sms_parts',
  steps_need_action: () => 'send_or_notify',
  verify_after_send: () => 'step_order',
  invalid_time_zone: () => 'time_zone',
  url_scheme: () => 'url',
};
const MINUTES = new Set(['for_s', 'cooldown_s', 'no_data.after_s']);

/** The form's word (with params) for an issue's code; null when this table has none. */
export function issueCode(issue: IssueLike): { code: string; params: P } | null {
  let code = issue.code ? (ALIASES[issue.code]?.(issue.field) ?? issue.code) : undefined;
  const params = { ...(issue.params ?? {}) };
  if (code === 'out_of_range' && (params.max === undefined || params.min === undefined)) code = params.max === undefined ? 'too_small' : 'too_big';
  // Durations are entered in minutes: their bounds are said in minutes (a range by the bound it passes: at most).
  if (code && MINUTES.has(issue.field) && params.unit === undefined && (code === 'too_big' || code === 'too_small' || code === 'out_of_range')) {
    for (const k of ['min', 'max']) if (typeof params[k] === 'number') params[k] = round2((params[k] as number) / 60);
    params.unit = 'min';
    if (code === 'out_of_range') code = 'too_big';
  }
  // Codes come with the issue (raised with them at the source); a message is never parsed.
  if (code && ISSUE_WORDS[code]) return { code, params };
  return null;
}

/** The one function every field error of the form is said through. */
export function issueWords(issue: IssueLike, lang: Lang): string {
  const known = issueCode(issue);
  if (known) return (ISSUE_WORDS[known.code] ?? (ISSUE_WORDS.invalid as { ru: Say; en: Say }))[lang](known.params);
  // A code of the API this table does not word: the API's text for it (RU/EN).
  if (issue.code && ISSUE_CODES.includes(issue.code) && issue.code !== 'invalid') {
    const text = issueText(issue.code, issue.params ?? {}, lang);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  // Unknown code or message: the API's own sentence, unless it is library text.
  if (!issue.message || LIBRARY_TEXT.test(issue.message)) return (ISSUE_WORDS.invalid as { ru: Say; en: Say })[lang]({});
  return issue.message;
}

/** A zod issue (the form's own validation) as an issue with a code. */
export interface ZodIssueLike {
  code: string;
  path?: ReadonlyArray<PropertyKey>;
  input?: unknown;
  expected?: unknown;
  format?: unknown;
  origin?: unknown;
  maximum?: unknown;
  minimum?: unknown;
  values?: unknown;
}

const MINUTE_FIELDS = new Set(['for_s', 'cooldown_s', 'no_data.after_s']);
const round2 = (n: number) => Math.round(n * 100) / 100;

export function zodIssue(iss: ZodIssueLike): IssueLike {
  const field = (iss.path ?? []).map(String).join('.');
  const base = { field, message: '' };
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined || iss.input === null || iss.input === '') return { ...base, code: iss.path?.length ? 'required' : 'invalid' };
    if (iss.expected === 'number' || iss.expected === 'int') return { ...base, code: typeof iss.input === 'number' && !Number.isNaN(iss.input) ? 'not_integer' : 'not_a_number' };
    return { ...base, code: 'invalid' };
  }
  if (iss.code === 'too_big' || iss.code === 'too_small') {
    const bound = Number(iss.code === 'too_big' ? iss.maximum : iss.minimum);
    const big = iss.code === 'too_big';
    if (MINUTE_FIELDS.has(field)) return { ...base, code: iss.code, params: big ? { max: round2(bound / 60), unit: 'min' } : { min: round2(bound / 60), unit: 'min' } };
    if (iss.origin === 'string') return big ? { ...base, code: 'too_long', params: { max: bound } } : { ...base, code: 'required' };
    if (iss.origin === 'array' || iss.origin === 'set') return big ? { ...base, code: 'too_many', params: { max: bound } } : { ...base, code: TOO_FEW_BY_FIELD.find(([re]) => re.test(field))?.[1] ?? 'too_few' };
    return { ...base, code: iss.code, params: big ? { max: bound } : { min: bound } };
  }
  if (iss.code === 'invalid_format') return { ...base, code: iss.format === 'url' ? 'url' : 'pattern' };
  if (iss.code === 'invalid_value' || iss.code === 'invalid_union') return { ...base, code: 'choice' };
  return { ...base, code: 'invalid' };
}

/** An error map for zod: the form's own validation speaks the user's words. */
export function zodWords(lang: Lang): (iss: ZodIssueLike) => string {
  return (iss) => issueWords(zodIssue(iss), lang);
}
