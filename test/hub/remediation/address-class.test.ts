// Webhook targets (issue 18): every IPv6 form that embeds an IPv4 address (mapped, compatible,
// NAT64, 6to4), Teredo, benchmarking 198.18.0.0/15 and the other special ranges, and
// `localhost.` with its trailing dot are refused when stored (the API) and when sent (the
// literal and every resolved address), while public addresses pass.
import { describe, expect, it } from 'vitest';
import { addressClass, ipv6Groups } from '../../../hub/remediation/address-class.js';
import { validateWebhookUrl } from '../../../hub/remediation/webhook.js';
import { caller } from '../api-helpers.js';
import { createWorld, TOKENS } from '../world.js';
import { delivery, endpoint, port, seen, sender, store, useSenderWorld } from './sender-world.js';

useSenderWorld();

const STRICT = { allow_loopback: false, allow_private: false };

// [URL host, class]
const REFUSED: Array<[string, 'loopback' | 'private']> = [
  ['[64:ff9b::7f00:1]', 'loopback'], // NAT64 of 127.0.0.1
  ['[64:ff9b::a00:1]', 'private'], // NAT64 of 10.0.0.1
  ['[64:ff9b:1::1]', 'private'], // local-use NAT64
  ['[2002:7f00:1::]', 'loopback'], // 6to4 of 127.0.0.1
  ['[2002:a9fe:a9fe::1]', 'private'], // 6to4 of 169.254.169.254
  ['[::127.0.0.1]', 'loopback'], // IPv4-compatible
  ['[::8.8.8.8]', 'private'], // IPv4-compatible of a public address: deprecated, never routed
  ['[::ffff:127.0.0.1]', 'loopback'], // IPv4-mapped
  ['[::ffff:7f00:1]', 'loopback'],
  ['[::ffff:a9fe:a9fe]', 'private'],
  ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'private'], // Teredo
  ['[2001:db8::1]', 'private'], // documentation
  ['[2001:2::1]', 'private'], // benchmarking
  ['[fd00::1]', 'private'],
  ['[fe80::1]', 'private'],
  ['[ff02::1]', 'private'],
  ['[::]', 'private'],
  ['[::1]', 'loopback'],
  ['198.18.0.1', 'private'], // benchmarking 198.18.0.0/15
  ['198.19.255.254', 'private'],
  ['192.0.0.8', 'private'],
  ['192.0.2.1', 'private'],
  ['203.0.113.9', 'private'],
  ['240.0.0.1', 'private'],
  ['255.255.255.255', 'private'],
  ['0.0.0.0', 'private'],
  ['100.64.0.1', 'private'],
  ['localhost.', 'loopback'],
  ['LOCALHOST..', 'loopback'],
  ['api.localhost.', 'loopback'],
  ['0x7f.1', 'loopback'], // the URL parser makes it 127.0.0.1
  ['2130706433', 'loopback'],
];

const PUBLIC = ['93.184.216.34', '198.20.0.1', '198.17.255.255', '[2606:4700::1111]', '[64:ff9b::5db8:d822]', '[2002:5db8:d822::1]', 'hooks.example.com', 'example.com.'];

describe('addressClass', () => {
  it.each(REFUSED)('%s is %s', (host, cls) => {
    expect(addressClass(new URL(`http://${host}/`).hostname)).toBe(cls);
  });

  it.each(PUBLIC)('%s is public', (host) => {
    expect(addressClass(new URL(`http://${host}/`).hostname)).toBeNull();
  });

  it('parses IPv6 with embedded IPv4 and zones', () => {
    expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(ipv6Groups('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('example.com')).toBeNull();
  });
});

describe('webhook targets at store time', () => {
  it.each(REFUSED)('validateWebhookUrl refuses http://%s/', (host) => {
    expect(validateWebhookUrl(`http://${host}/hook`, STRICT).ok).toBe(false);
  });

  it('the API refuses them with a field error, and accepts a public one', async () => {
    const w = await createWorld();
    const api = caller(w, TOKENS.a);
    for (const host of ['[64:ff9b::7f00:1]', '[2002:7f00:1::]', '[::127.0.0.1]', '198.18.0.1', 'localhost.']) {
      const r = await api('POST', '/api/v1/webhooks', { url: `http://${host}/hook` });
      expect(r.status, host).toBe(400);
      expect(r.body.error.issues[0]).toMatchObject({ field: 'url' });
    }
    expect((await api('POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x' })).status).toBe(201);
  });
});

describe('webhook targets at send time', () => {
  it('a stored literal of each form is refused before any connection', async () => {
    // As if stored before the fix (or by hand): the sender checks again.
    const forms = ['[64:ff9b::7f00:1]', '[2002:7f00:1::]', '[::127.0.0.1]', '[::ffff:127.0.0.1]', '198.18.0.1', 'localhost.'];
    forms.forEach((host, i) => delivery(`d${i}`, endpoint(`wh${i}`, `http://${host}:${port}/ok`)));
    const s = sender({ urlPolicy: STRICT, lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(await s.deliverDue()).toBe(forms.length);
    forms.forEach((_, i) => expect(store.get(`d${i}`)).toMatchObject({ status: 'failed', attempts: [expect.objectContaining({ error: expect.stringContaining('not sent') })] }));
    expect(seen).toHaveLength(0);
  });

  it('a name resolving to any of the forms is refused', async () => {
    const answers = ['64:ff9b::7f00:1', '2002:7f00:1::', '::127.0.0.1', '::ffff:127.0.0.1', '198.18.0.1', '2001:0:4136:e378:8000:63bf:3fff:fdd2'];
    answers.forEach((_, i) => delivery(`r${i}`, endpoint(`we${i}`, `http://name${i}.example.com:${port}/ok`)));
    const s = sender({ urlPolicy: STRICT, lookup: async (host) => [{ address: answers[Number(/name(\d+)/.exec(host)?.[1])] as string, family: 6 }] });
    expect(await s.deliverDue()).toBe(answers.length);
    answers.forEach((a, i) => expect(store.get(`r${i}`).attempts[0]?.error).toContain(a));
    expect(seen).toHaveLength(0);
  });
});
