import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../hub/common/log.js';

function capture() {
  const lines: string[] = [];
  return { lines, sink: { write: (l: string) => lines.push(l) } };
}

describe('logger', () => {
  it('writes one JSON object per line with namespace and level', () => {
    const { lines, sink } = capture();
    const log = createLogger('agent', { sink, level: 'debug', now: () => new Date(0) }).child('modem');
    log.debug('AT> AT+CSQ', { port: '/dev/ttyUSB2' });
    expect(JSON.parse(lines[0] as string)).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'debug', ns: 'agent:modem', msg: 'AT> AT+CSQ', port: '/dev/ttyUSB2' });
  });

  it('drops lines below the level', () => {
    const { lines, sink } = capture();
    const log = createLogger('hub', { sink, level: 'warn' });
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    expect(log.enabled('debug')).toBe(false);
  });

  it('masks secret-named fields and known secret values, in messages too', () => {
    const { lines, sink } = capture();
    const log = createLogger('agent', { sink, secrets: ['1234-pin-value'] });
    log.info('AT> AT+CPIN="1234-pin-value"', { password: 'hunter22', nested: { apiToken: 'abc', ok: 'fine' } });
    const line = lines[0] as string;
    expect(line).not.toContain('1234-pin-value');
    expect(line).not.toContain('hunter22');
    expect(line).not.toContain('"abc"');
    expect(JSON.parse(line)).toMatchObject({ msg: 'AT> AT+CPIN="***"', password: '***', nested: { apiToken: '***', ok: 'fine' } });
  });

  it('redacts error messages that carry a secret', () => {
    expect(redact({ err: new Error('token tok-secret-1 refused') }, ['tok-secret-1'])).toEqual({ err: { name: 'Error', message: 'token *** refused' } });
  });
});
