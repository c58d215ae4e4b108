// The browser's SMS counter is generated from hub/common/sms and must agree with planSms on the
// same texts: encoding choice, septet counting with the extension table, part boundaries.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planSms } from '../../hub/common/sms/index.js';
import { renderTemplate } from '../../hub/core/template.js';
import { smsClientModule } from '../../hub/web/sms-client.js';
import { tempDir } from '../hub/fixtures.js';

interface ClientModule {
  planSms(text: string): { encoding: string; parts: number; units: number; chars: number };
  renderTemplate(t: string, v: Record<string, string | number>): string;
}

async function loadClient(): Promise<ClientModule> {
  const file = join(tempDir('sms-client'), 'sms.mjs');
  writeFileSync(file, smsClientModule());
  return (await import(pathToFileURL(file).href)) as ClientModule;
}

const TEXTS = [
  '',
  'OK',
  '#12#0#1#1#',
  'a'.repeat(160),
  'a'.repeat(161),
  'a'.repeat(306),
  'a'.repeat(307),
  '€'.repeat(80),
  '€'.repeat(81),
  'a'.repeat(152) + '€',
  'a'.repeat(153) + '[]',
  'Перезагрузка плеера',
  'П'.repeat(70),
  'П'.repeat(71),
  'П'.repeat(134),
  'П'.repeat(135),
  'emoji 😀 ' + 'x'.repeat(60),
  '😀'.repeat(34) + 'a',
  'ÄÖÑÜ§¿äöñüà@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ',
  '{}\\^~|\f',
  'tab\there',
];

describe('browser SMS counter', () => {
  // [TS 23.038 6.2.1] [TS 23.040 9.2.3.24.1]
  it('plans every text as planSms does', async () => {
    const client = await loadClient();
    for (const text of TEXTS) {
      const server = planSms(text);
      const mine = client.planSms(text);
      expect({ encoding: mine.encoding, parts: mine.parts, units: mine.units }, JSON.stringify(text)).toEqual({ encoding: server.encoding, parts: server.parts.length, units: server.units });
      expect(mine.chars).toBe([...text].length);
    }
  });

  it('fills placeholders as the hub does', async () => {
    const client = await loadClient();
    const values = { device: 'Player 1', value: 81.5, job: 'j' };
    for (const t of ['{device} is {value}', '{unknown} {DEVICE} {device}{device}', 'no placeholders']) {
      expect(client.renderTemplate(t, values)).toBe(renderTemplate(t, values));
    }
  });
});
