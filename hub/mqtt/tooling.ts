// Tooling for an external Mosquitto (issue 18): the password-file line of a user in Mosquitto
// 2's own format (`user:$7$<iterations>$<salt>$<hash>`, PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte
// digest, as `mosquitto_passwd` writes it) and the users the hub knows from its store.
// The hub keeps only scrypt hashes of site passwords, so a line is made from the password the
// operator got once at creation, checked against the hub's hash first. Pure apart from crypto.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { usernames } from '../common/contract/index.js';
import { verifyPassword } from './passwords.js';

/** mosquitto_passwd's default iteration count in Mosquitto 2. */
export const MOSQUITTO_ITERATIONS = 101;

export function mosquittoPasswdLine(username: string, password: string, o: { iterations?: number; salt?: Buffer } = {}): string {
  if (/[:\r\n]/.test(username)) throw new Error('a Mosquitto username cannot hold ":" or a line break');
  const iterations = o.iterations ?? MOSQUITTO_ITERATIONS;
  const salt = o.salt ?? randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Does `password` match a Mosquitto password-file line (format 7)? */
export function mosquittoLineMatches(line: string, password: string): boolean {
  const m = /^[^:]+:\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(line.trim());
  if (!m) return false;
  const expected = Buffer.from(m[3] as string, 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2] as string, 'base64'), Number(m[1]), expected.length, 'sha512');
  return expected.length > 0 && timingSafeEqual(actual, expected);
}

/** The part of definitions.json the tooling reads (read-only: the running hub is its only writer). */
export interface StoredUsers {
  platforms?: Record<string, { id: string; events_password?: string | null }>;
  sites?: Record<string, { id: string; platform_id: string; mqtt_password?: string | null }>;
}

export interface KnownUser {
  username: string;
  /** The hub's scrypt hash of its password (null: none set yet). */
  hash: string | null;
  role: 'site' | 'events';
}

export function knownUsers(defs: StoredUsers): KnownUser[] {
  const sites = Object.values(defs.sites ?? {}).map((s): KnownUser => ({ username: usernames.site({ platform_id: s.platform_id, site_id: s.id }), hash: s.mqtt_password ?? null, role: 'site' }));
  const events = Object.values(defs.platforms ?? {}).map((p): KnownUser => ({ username: usernames.platformEvents(p.id), hash: p.events_password ?? null, role: 'events' }));
  return [...sites, ...events].sort((a, b) => a.username.localeCompare(b.username));
}

export type PasswdCheck = { ok: true } | { ok: false; message: string };

/** Is `password` the one the hub holds for `username`? (The hub's own user is not in the store.) */
export function checkAgainstStore(users: readonly KnownUser[], username: string, password: string): PasswdCheck {
  if (username === usernames.hub) return { ok: true };
  const u = users.find((x) => x.username === username);
  if (!u) return { ok: false, message: `the hub knows no user ${username} / хаб не знает пользователя ${username}` };
  if (!u.hash) return { ok: false, message: `${username} has no password yet; set one through the API first / у ${username} ещё нет пароля, задайте его через API` };
  if (!verifyPassword(password, u.hash)) return { ok: false, message: `this is not the password the hub holds for ${username} / это не тот пароль, который хаб хранит для ${username}` };
  return { ok: true };
}
