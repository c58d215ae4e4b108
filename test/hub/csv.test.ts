// CSV formula injection (issue 18, OWASP): every text cell starting with = + - @ TAB CR LF or a
// full-width form gets a leading `'`, including "-1+cmd|' /C calc'!A0" that the old rule let
// through for looking like a negative number; numbers computed by the hub stay numbers. And the
// same through a real report (`/reports/jobs?format=csv`) whose job names an attacker chose.
import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../hub/common/csv.js';
import { caller } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

/** The cells of one CSV line (RFC 4180: quoted cells may hold commas and doubled quotes). */
function cells(line: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (let m = re.exec(line); m && m[0] !== ''; m = re.exec(line)) {
    const raw = m[1] as string;
    out.push(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw);
    if (m[2] === '') break;
  }
  return out;
}

const HOSTILE = ["-1+cmd|' /C calc'!A0", '=HYPERLINK("http://x")', '+1+1', '@SUM(A1)', '\t=1', '\r=1', '\n=1', '-5', '－1+1', '＝1+1', '＋1', '＠SUM(A1)'];

describe('csvCell', () => {
  it.each(HOSTILE)('neutralises %j with a leading quote', (v) => {
    expect(cells(csvCell(v))[0]).toBe(`'${v}`);
  });

  it('leaves numbers numeric (negative too) and harmless text alone', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(-0.33333)).toBe('-0.333');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell('Плеер 7')).toBe('Плеер 7');
    expect(csvCell('a-1')).toBe('a-1');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('quotes separators and quotes (RFC 4180)', () => {
    expect(toCsv([{ name: 'Player, "7"', n: 0.333333, f: '=HYPERLINK("x")', neg: -5, none: null }], ['name', 'n', 'f', 'neg', 'none'])).toBe(
      'name,n,f,neg,none\r\n"Player, ""7""",0.333,"\'=HYPERLINK(""x"")",-5,\r\n',
    );
  });
});

describe('reports as CSV', () => {
  it('job names chosen by a tenant come out as text, counts as numbers', async () => {
    const w = await createWorld();
    const names = ["-1+cmd|' /C calc'!A0", '@SUM(1+1)*cmd|\' /C calc\'!A0', '＝1+1'];
    const jobs = names.map((name, i) => w.job('a', { name, device: { key_type: 'device_id', key: `z${i}`, name: `Z${i}` } }));
    await w.store.putJobs(jobs);
    for (const j of jobs) w.prom.set('signage_device_online', { platform_id: 'a', device_id: j.device.key }, 0);
    await w.poller.cycle();
    await w.publisher.idle();
    // Reports count finished executions only: end each one (cancel).
    const api = caller(w, TOKENS.a);
    const execs = (await api('GET', '/api/v1/executions')).body.items as Array<{ id: string }>;
    expect(execs).toHaveLength(names.length);
    for (const e of execs) expect((await api('POST', `/api/v1/executions/${e.id}/cancel`)).body.phase).toBe('done');
    const csv = String((await api('GET', '/api/v1/reports/jobs?format=csv')).body);
    const [header, ...lines] = csv.trim().split('\r\n');
    const cols = cells(header as string);
    const rows = lines.map((l) => Object.fromEntries(cells(l).map((v, i) => [cols[i], v])));
    expect(rows.map((r) => r.job_name).sort()).toEqual(names.map((n) => `'${n}`).sort());
    for (const r of rows) expect(r.remediations).toMatch(/^\d+$/);
    // No cell of the whole file starts a formula.
    for (const l of lines) for (const c of cells(l)) expect(c).not.toMatch(/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/);
  });
});
