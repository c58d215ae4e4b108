// Lone UTF-16 surrogates and control characters (issue 18): refused with a field error wherever
// they appear in a JSON body (names, SMS texts, keys), names also refuse control characters;
// nothing is stored, and definitions.json stays readable by a strict parser (well-formed UTF-8).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayName, hasLoneSurrogate, loneSurrogatePath } from '../../hub/model/text.js';
import { caller, jobBody } from './api-helpers.js';
import { createWorld, TOKENS } from './world.js';

const LONE_HIGH = 'Player \ud800';
const LONE_LOW = '\udc00 Player';

describe('text checks', () => {
  it('finds lone surrogates, accepts pairs', () => {
    expect(hasLoneSurrogate(LONE_HIGH)).toBe(true);
    expect(hasLoneSurrogate(LONE_LOW)).toBe(true);
    expect(hasLoneSurrogate('\udc00\ud800')).toBe(true); // reversed pair
    expect(hasLoneSurrogate('Плеер 😀 7')).toBe(false);
    expect(loneSurrogatePath({ a: [{ b: 'ok' }, { c: LONE_LOW }] })).toEqual(['a', 1, 'c']);
    expect(loneSurrogatePath({ [LONE_HIGH]: 1 })).toEqual([LONE_HIGH]);
    expect(loneSurrogatePath({ a: ['ok', 1, null] })).toBeNull();
  });

  it('display names refuse control characters and lone surrogates', () => {
    const name = displayName(1, 200);
    expect(name.safeParse('Плеер 😀').success).toBe(true);
    for (const bad of ['a\nb', 'a\tb', 'a\u001b[31m', 'a\u0085', LONE_HIGH]) expect(name.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe('the API refuses them with the field named', () => {
  it('in a site name, a control device name, a job name, a device name and an SMS text', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    const cases: Array<[string, unknown, string]> = [
      ['/api/v1/sites', { id: 'sx', name: LONE_HIGH }, 'name'],
      ['/api/v1/sites', { id: 'sy', name: 'line\nbreak' }, 'name'],
      ['/api/v1/control-devices', { name: LONE_LOW, phone: '+79161234567', model: 'SIMPAL_D210', site_ids: ['s1'] }, 'name'],
      ['/api/v1/jobs', jobBody({ name: LONE_HIGH }), 'name'],
      ['/api/v1/jobs', jobBody({ device: { key_type: 'device_id', key: 'dev-a-1', name: LONE_LOW } }), 'device.name'],
      ['/api/v1/jobs', jobBody({ steps: [{ type: 'send', site_id: 's1', control_device_id: 'cd-a', command: { kind: 'text', text: `reboot ${LONE_HIGH}` } }] }), 'steps[0].command.text'],
      ['/api/v1/jobs/validate', jobBody({ name: LONE_HIGH }), 'name'],
    ];
    const before = readFileSync(join(w.dir, 'definitions.json'), 'utf8');
    for (const [path, body, field] of cases) {
      const r = await api('POST', path, body);
      expect(r.status, `${path} ${field}`).toBe(400);
      expect(r.body.error.issues[0], `${path} ${field}`).toMatchObject({ field, message: expect.stringMatching(/Unicode|control characters/) });
    }
    expect(readFileSync(join(w.dir, 'definitions.json'), 'utf8')).toBe(before);
    // A well-formed name with an emoji is stored, and the file is strict UTF-8.
    expect((await api('POST', '/api/v1/sites', { id: 'sz', name: 'Плеер 😀' })).status).toBe(201);
    const bytes = readFileSync(join(w.dir, 'definitions.json'));
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toContain('Плеер 😀');
    expect(bytes.toString('utf8')).not.toMatch(/\\ud[89ab]/i);
  });
});
