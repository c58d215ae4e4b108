// Small pure parts: config schema and env overrides, PIN masking in AT logs, port listing
// without udevadm, pacing, status answer parsing [TS 27.007 8.5 +CSQ, 7.2 +CREG, 7.3 +COPS].
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../../agent/at/engine.js';
import { loadAgentConfig } from '../../agent/config.js';
import { bestRegistration, csqToDbm, parseCmgr, parseCops, parseCsca, parseReg, parseStoredIndication } from '../../agent/modem/info.js';
import { Pacer } from '../../agent/outbox/pacing.js';
import { listSerialPorts } from '../../agent/serial/list.js';
import { AGENT_VERSION } from '../../agent/version.js';
import { createLogger } from '../../hub/common/log.js';
import { ConfigError } from '../../hub/common/config.js';
import { runCli } from '../../agent/cli.js';

describe('agent config', () => {
  it('fills defaults and takes environment overrides (GSMJOBS_AGENT_A__B, *_FILE)', () => {
    const c = loadAgentConfig(undefined, {
      GSMJOBS_AGENT_PLATFORM_ID: 'addreality',
      GSMJOBS_AGENT_SITE_ID: 'arzamas',
      GSMJOBS_AGENT_MODEM__PORT: '/dev/serial/by-id/usb-SimTech-if02',
      GSMJOBS_AGENT_SEND__RESEND_UNCERTAIN: 'true',
    });
    expect(c.modem).toMatchObject({ port: '/dev/serial/by-id/usb-SimTech-if02', baud_rate: 115200, cnmi: '2,1,0,1,0' });
    expect(c.send.resend_uncertain).toBe(true);
    expect(loadAgentConfig(undefined, { GSMJOBS_AGENT_PLATFORM_ID: 'a', GSMJOBS_AGENT_SITE_ID: 'b', GSMJOBS_AGENT_MODEM__PIN: '0123' }).modem.pin).toBe('0123');
    expect(loadAgentConfig(undefined, { GSMJOBS_AGENT_PLATFORM_ID: 'a', GSMJOBS_AGENT_SITE_ID: 'b', GSMJOBS_AGENT_MODEM__PIN: '4321' }).modem.pin).toBe('4321');
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1883');
  });
  it('names every bad field', () => {
    try {
      loadAgentConfig(undefined, { GSMJOBS_AGENT_PLATFORM_ID: 'Bad Id', GSMJOBS_AGENT_SITE_ID: 's', GSMJOBS_AGENT_MODEM__PIN: '12' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toMatch(/platform_id: must be 1-63 chars/);
      expect(issues).toMatch(/modem\.pin: must be 4-8 digits/);
    }
  });
});

describe('logs', () => {
  it('never show the PIN in AT traffic at debug level', async () => {
    const lines: string[] = [];
    const log = createLogger('agent', { level: 'debug', sink: { write: (l) => lines.push(l) }, secrets: ['7391'] });
    const engine = new AtEngine({ log });
    engine.attach({
      write: async () => {
        setImmediate(() => engine.feed('\r\nOK\r\n'));
      },
    });
    await engine.run('AT+CPIN="7391"', { sensitive: true });
    engine.feed('\r\n+CMTI: "SM",1 7391\r\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('\n')).not.toContain('7391');
    expect(lines.join('\n')).toContain('AT+CPIN=***');
  });
});

describe('serial port listing', () => {
  it('lists by-id names first and raw devices without udevadm', () => {
    const fs = {
      readdir: (p: string) => (p === '/dev/serial/by-id' ? ['usb-SimTech_SIM7600-if02-port0'] : ['ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyAMA0', 'ttyS0', 'ttyS7', 'null']),
      realpath: () => '/dev/ttyUSB2',
    };
    expect(listSerialPorts(fs).map((p) => `${p.path}:${p.kind}`)).toEqual([
      '/dev/serial/by-id/usb-SimTech_SIM7600-if02-port0:by-id',
      '/dev/ttyUSB2:usb',
      '/dev/ttyUSB10:usb',
      '/dev/ttyACM0:acm',
      '/dev/ttyAMA0:uart',
      '/dev/ttyS0:serial',
    ]);
  });
  it('returns an empty list when /dev cannot be read', () => {
    expect(listSerialPorts({ readdir: () => { throw new Error('EACCES'); }, realpath: () => '' })).toEqual([]);
  });
});

describe('pacing', () => {
  it('spaces messages per destination and per modem', () => {
    const p = new Pacer(5000, 1000);
    p.record('+1', 10_000);
    expect(p.earliest('+1')).toBe(15_000);
    expect(p.earliest('+2')).toBe(11_000);
  });
});

describe('status answers', () => {
  it('converts AT+CSQ to dBm [TS 27.007 8.5]', () => {
    expect([0, 1, 2, 15, 30, 31, 99].map(csqToDbm)).toEqual([-113, -111, -109, -83, -53, -51, null]);
  });
  it('parses +CREG answers and URCs [TS 27.007 7.2]', () => {
    expect(parseReg('+CREG: 0,1', true)).toBe('home');
    expect(parseReg('+CREG: 2,5,"1A2B","00C3"', true)).toBe('roaming');
    expect(parseReg('+CREG: 2', false)).toBe('searching');
    expect(parseReg('+CEREG: 0,3', true)).toBe('denied');
    expect(bestRegistration('searching', 'home')).toBe('home');
  });
  it('parses +COPS, +CSCA, +CMTI and +CMGR', () => {
    expect(parseCops('+COPS: 0,0,"MTS RUS",7')).toBe('MTS RUS');
    expect(parseCops('+COPS: 0')).toBeUndefined();
    expect(parseCsca('+CSCA: "+79168999100",145')).toBe('+79168999100');
    expect(parseCsca('+CSCA: "",129')).toBeUndefined();
    expect(parseStoredIndication('+CMTI: "SM",12')).toEqual({ storage: 'SM', index: 12 });
    expect(parseCmgr(['+CMGR: 1,,24', '0791AB'])).toEqual({ length: 24, pdu: '0791AB' });
  });
});

describe('CLI', () => {
  it('prints the version equal to package.json and refuses unknown commands', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(AGENT_VERSION).toBe(pkg.version);
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t), stopSignal: () => new Promise<string>(() => undefined), env: {} };
    expect(await runCli(['--version'], io)).toBe(0);
    expect(out.trim().split(" ")[0]).toBe(pkg.version);
    expect(await runCli(['fly'], io)).toBe(2);
    expect(err).toMatch(/unknown command "fly"/);
    expect(await runCli(['run'], io)).toBe(78);
    expect(err).toMatch(/platform_id/);
    // `agent --config file` with no command means run: it loads that file (missing here).
    err = '';
    expect(await runCli(['--config', '/nonexistent/agent.yaml'], io)).toBe(78);
    expect(err).toMatch(/cannot read config file \/nonexistent\/agent.yaml/);
    out = '';
    expect(await runCli([], io)).toBe(2);
    expect(out).toMatch(/usage: agent/);
    out = '';
    expect(await runCli(['ports'], io)).toBe(0);
    expect(out.length).toBeGreaterThan(0);
  });
});

describe('doctor output', () => {
  it('gives every hint in English and Russian', async () => {
    const { formatChecks } = await import('../../agent/doctor.js');
    const { hintRu } = await import('../../agent/hints-ru.js');
    const text = formatChecks([{ name: 'sim', ok: false, detail: 'the SIM asks for a PIN and none is configured', hint: 'Put the PIN in modem.pin (or GSMJOBS_AGENT_MODEM__PIN_FILE), or disable the PIN in a phone.' }]);
    expect(text).toContain('what to do: Put the PIN');
    expect(text).toContain('что делать: Укажите PIN');
    // every hint string in the sources has a translation
    const src = ['agent/modem/setup.ts', 'agent/modem/driver.ts', 'agent/modem/pin-guard.ts', 'agent/doctor.ts'].map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8')).join('\n');
    const hints = [...src.matchAll(/(?:hint: |, |_HINT = )'([A-Z][^']{10,}[.)])'(?:, (?:true|false)(?:, \{[^}]*\})?)?\)?[,;]?$/gm)].map((m) => m[1] as string).filter((h) => !h.startsWith('All checks') && !h.startsWith('Some checks'));
    expect(hints.length).toBeGreaterThan(8);
    expect(hints).toContain('Insert the SIM card (power the modem off first) and check it sits in the holder correctly.');
    for (const h of hints) expect(hintRu(h), h).toBeDefined();
  });
});
