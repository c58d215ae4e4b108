// CSV (RFC 4180, CRLF) for the reports, safe to open in a spreadsheet (issue 18). The OWASP rule
// against formula injection: a text cell that starts with = + - @ TAB CR or LF (or their
// full-width forms ＝ ＋ － ＠) gets a leading `'`, so spreadsheets show it as text.
// Decision on negative numbers: only cells that are JavaScript numbers stay bare, since the hub
// computes them (counts, shares, durations) and a number cannot carry a formula; a *text* cell
// that merely looks numeric ("-1", "-1+cmd|' /C calc'!A0") is prefixed like any other text, because
// telling a harmless "-1" from "-1+..." by pattern is what the old rule got wrong. Pure.

const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/** One cell: numbers as numbers (rounded to 3 decimals), text neutralised and quoted as needed. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : '';
  const s = typeof v === 'string' ? v : typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV of rows with the given columns, header first, CRLF line ends. */
export function toCsv<T extends object>(rows: readonly T[], columns: ReadonlyArray<keyof T & string>): string {
  const lines = [columns.map((c) => csvCell(c)).join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
