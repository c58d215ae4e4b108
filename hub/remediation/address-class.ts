// Where a webhook may go (issue 18): the class of an IP literal or host name, loopback, private
// (anything that is not the public internet) or null (public). Every IPv6 form that carries an
// IPv4 address is judged by that IPv4 address: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16; Teredo, local-use NAT64 and the IANA special-purpose
// ranges of both families are private. Names: `localhost` and `*.localhost`, also with a
// trailing dot. Pure; the sender applies it to the literal and to every resolved address.
import { isIP } from 'node:net';

export type AddressClass = 'loopback' | 'private' | null;

type V4 = [number, number, number, number];

/** IANA IPv4 special-purpose ranges that are not the public internet: [first octets, prefix]. */
const V4_PRIVATE: ReadonlyArray<[V4, number]> = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10], // carrier-grade NAT
  [[169, 254, 0, 0], 16], // link-local
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // TEST-NET-1
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // TEST-NET-2
  [[203, 0, 113, 0], 24], // TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, broadcast
];

function v4Number(a: readonly number[]): number {
  return (((a[0] ?? 0) << 24) >>> 0) + ((a[1] ?? 0) << 16) + ((a[2] ?? 0) << 8) + (a[3] ?? 0);
}

function inV4(a: readonly number[], net: V4, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((v4Number(a) & mask) >>> 0) === ((v4Number(net) & mask) >>> 0);
}

export function ipv4Class(a: readonly number[]): AddressClass {
  if (a[0] === 127) return 'loopback';
  return V4_PRIVATE.some(([net, p]) => inV4(a, net, p)) ? 'private' : null;
}

/** An IPv6 literal as 8 groups of 16 bits, or null when it is not one. */
export function ipv6Groups(text: string): number[] | null {
  let h = text.toLowerCase();
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  if (isIP(h) !== 6) return null;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as V4;
    h = `${h.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = h.split('::');
  const hg = head ? head.split(':') : [];
  const tg = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - hg.length - tg.length : 0;
  const groups = [...hg, ...Array<string>(fill).fill('0'), ...tg].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

const v4Of = (hi: number, lo: number): V4 => [hi >> 8, hi & 255, lo >> 8, lo & 255];

export function ipv6Class(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeros = (...xs: number[]) => xs.every((x) => x === 0);
  if (zeros(g0, g1, g2, g3, g4, g5, g6) && g7 === 1) return 'loopback'; // ::1
  if (zeros(g0, g1, g2, g3, g4) && g5 === 0xffff) return ipv4Class(v4Of(g6, g7)); // mapped
  if (zeros(g0, g1, g2, g3, g4, g5)) return ipv4Class(v4Of(g6, g7)) ?? 'private'; // compatible, ::
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return ipv4Class(v4Of(g6, g7)); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private'; // local-use NAT64
  if (g0 === 0x2002) return ipv4Class(v4Of(g1, g2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) return 'private'; // Teredo
  if (g0 === 0x2001 && g1 === 0xdb8) return 'private'; // documentation
  if (g0 === 0x2001 && g1 === 2 && g2 === 0) return 'private'; // benchmarking
  if (g0 === 0x2001 && (g1 & 0xffe0) === 0x20) return 'private'; // ORCHIDv2 (and 2001:10::/28 below)
  if (g0 === 0x2001 && (g1 & 0xfff0) === 0x10) return 'private';
  if ((g0 & 0xfff0) === 0x3ff0 && g0 <= 0x3fff) return 'private'; // documentation 3fff::/20
  if (g0 === 0x100 && zeros(g1, g2, g3)) return 'private'; // discard-only
  if (g0 === 0x5f00) return 'private'; // SRv6 SIDs
  if (g0 < 0x100) return 'private'; // the rest of ::/8, reserved
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return 'private'; // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return 'private'; // multicast
  return null;
}

/** Loopback / private / null for an IP literal (bracketed or not) or a host name. */
export function addressClass(host: string): AddressClass {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) return ipv4Class(h.split('.').map(Number));
  const v6 = ipv6Groups(h);
  if (v6) return ipv6Class(v6);
  const name = h.replace(/\.+$/, ''); // `localhost.` is localhost
  if (name === 'localhost' || name.endsWith('.localhost') || name === '') return 'loopback';
  return null;
}
