// Password and token hashing. MQTT passwords (chosen by people, checked rarely): scrypt with a
// per-password salt. API tokens (random, 32 bytes): SHA-256 is enough and cheap per request.
// The broker verifies with `verifyPasswordAsync` (scrypt on libuv's thread pool, never on the
// event loop) and spends the same work on unknown usernames (`DUMMY_HASH`).
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N });
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N });
  return timingSafeEqual(actual, expected);
}

/** Same as hashPassword, off the event loop (the API's site and events passwords). */
export async function hashPasswordAsync(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await new Promise<Buffer>((resolve, reject) => scrypt(password, salt, 32, { N }, (err, key) => (err ? reject(err) : resolve(key))));
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Same as verifyPassword, off the event loop. A malformed stored hash is simply no match. */
export async function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length === 0) return false;
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return timingSafeEqual(actual, expected);
}

/**
 * A well-formed hash that no password matches (random salt and digest, made without hashing):
 * verifying an unknown username against it costs exactly what a known one costs.
 */
export const DUMMY_HASH = `scrypt$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

/** Compare two secrets in time independent of where they differ (and of their lengths). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** A new random secret (API token or generated MQTT password). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
