// A bare MQTT 3.1.1 CONNECT over a raw socket (MQTT 3.1.1, 3.1): the hostile tests need to pick
// the local loopback address (127.x.y.z), send 64 KiB client ids and time the CONNACK, which a
// full client library hides.
import { connect } from 'node:net';

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export function connectPacket(o: { clientId: string; username?: string; password?: string; version?: 4 | 5 }): Buffer {
  const flags = 0x02 | (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0);
  const parts = [str('MQTT'), Buffer.from([o.version ?? 4, flags, 0, 60])];
  if (o.version === 5) parts.push(Buffer.from([0])); // no properties
  parts.push(str(o.clientId));
  if (o.username !== undefined) parts.push(str(o.username));
  if (o.password !== undefined) parts.push(str(o.password));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

export interface ConnackResult {
  /** CONNACK return code (0 accepted, 3 unavailable, 4 bad credentials, ...), or null when the socket closed first. */
  returnCode: number | null;
  ms: number;
}

/** Send one CONNECT and wait for the CONNACK (or the close). */
export function rawConnect(o: { port: number; localAddress?: string; clientId?: string; username?: string; password?: string; version?: 4 | 5; timeoutMs?: number }): Promise<ConnackResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port: o.port, localAddress: o.localAddress });
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (returnCode: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ returnCode, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(null), o.timeoutMs ?? 30_000);
    socket.on('connect', () => socket.write(connectPacket({ clientId: o.clientId ?? `raw-${Math.random().toString(36).slice(2)}`, username: o.username, password: o.password, version: o.version })));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // CONNACK: 0x20, remaining length, flags, return code (MQTT 5: reason code at the same place).
      if (got.length >= 4 && got[0] === 0x20) finish(got[3] as number);
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
}
