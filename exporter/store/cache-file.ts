// The persistent cache: the last known device state of every account in one JSON file,
// written atomically (temporary file, fsync, rename, fsync of the directory) so that a crash
// leaves either the old or the new file, never a torn one. Read once at start-up, so that a
// restart during an API outage still serves the last known state, marked by its age.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { type CachedDevice, internLabels, playerStatusCode } from '../core/device.js';

export const CACHE_FORMAT = 'gsmjobs-exporter-cache';
/** 2: state out of `info` (playerStatus code, net addresses). Version 1 files are upgraded on load. */
export const CACHE_VERSION = 2;

const labels = z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.string());
const cachedDevice = z.object({
  key: z.string().min(1),
  name: z.string(),
  mac: z.string().optional(),
  online: z.boolean().optional(),
  lastSeenS: z.number().optional(),
  activated: z.boolean().optional(),
  playerStatus: z.number().int().min(0).max(3).optional(),
  info: labels,
  net: labels.optional(),
  listedAtMs: z.number(),
});

/** Version 1 kept state in `info` labels: move it out as version 2 has it. */
function upgradeV1(d: z.output<typeof cachedDevice>): CachedDevice {
  const { player_status, connection_state: _c, activation_state: _a, status: _s, ip, out_ip, ...info } = d.info;
  const net: Record<string, string> = {};
  if (ip !== undefined) net.ip = ip;
  if (out_ip !== undefined) net.out_ip = out_ip;
  return { ...d, info, ...(player_status === undefined ? {} : { playerStatus: playerStatusCode(player_status) }), ...(Object.keys(net).length ? { net } : {}) };
}

/** Share repeated label values between devices (as the sources do). */
function compact(d: CachedDevice): CachedDevice {
  d.info = internLabels(d.info);
  return d;
}

const cachedAccount = z.object({
  platform_id: z.string(),
  platform: z.string(),
  last_success_ms: z.number().optional(),
  devices: z.array(z.unknown()),
});

const cacheFile = z.object({
  format: z.literal(CACHE_FORMAT),
  version: z.union([z.literal(1), z.literal(CACHE_VERSION)]),
  saved_at_ms: z.number(),
  accounts: z.record(z.string(), cachedAccount),
});

export interface CachedAccount {
  platform_id: string;
  platform: string;
  last_success_ms?: number | undefined;
  devices: CachedDevice[];
}

export interface CacheContents {
  saved_at_ms: number;
  accounts: Record<string, CachedAccount>;
}

export interface LoadResult {
  contents?: CacheContents;
  /** Why nothing (or not everything) was loaded; undefined when the file was fine or absent. */
  problem?: string;
  /** Device records refused one by one. */
  rejected: number;
}

/** Read the cache; a missing file is an empty cache, a bad file is reported, not fatal. */
export async function loadCache(path: string): Promise<LoadResult> {
  try {
    const streamed = await loadLines(path);
    if (streamed) return streamed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rejected: 0 };
    return { problem: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, rejected: 0 };
  }
  return loadWhole(path);
}

const HEADER_END = '"accounts":{';
const ACCOUNT_LINE = /^,?("(?:[^"\\]|\\.)*"):(\{.*)"devices":\[$/;

/**
 * The layout saveCache writes (one device per line), read line by line: each device record is
 * parsed, checked and kept while the text of the others never sits in memory at once (at
 * 100,000 devices a whole-file JSON.parse holds the text, the raw objects and their checked
 * copies together). Undefined when the file has another layout (version 1, hand-made): the
 * caller then reads it whole.
 */
async function loadLines(path: string): Promise<LoadResult | undefined> {
  const fh = await open(path, 'r');
  try {
    let header: { saved_at_ms: number; version: number } | undefined;
    let account: CachedAccount | undefined;
    const accounts: Record<string, CachedAccount> = {};
    let rejected = 0;
    let ended = false;
    for await (const line of fh.readLines({ encoding: 'utf8' })) {
      if (!header) {
        if (!line.startsWith('{"format":') || !line.endsWith(HEADER_END)) return undefined;
        const h = cacheFile.safeParse(JSON.parse(`${line}}}`));
        if (!h.success) return undefined;
        header = h.data;
        continue;
      }
      if (ended) return undefined;
      if (account && (line.startsWith('{') || line.startsWith(',{'))) {
        let raw: unknown;
        try {
          raw = JSON.parse(line.startsWith(',') ? line.slice(1) : line);
        } catch {
          rejected++;
          continue;
        }
        const d = cachedDevice.safeParse(raw);
        if (d.success) account.devices.push(compact(header.version === 1 ? upgradeV1(d.data) : d.data));
        else rejected++;
        continue;
      }
      if (account && line === ']}') {
        account = undefined;
        continue;
      }
      const m = !account ? ACCOUNT_LINE.exec(line) : null;
      if (m) {
        const a = cachedAccount.safeParse(JSON.parse(`${m[2]}"devices":[]}`));
        if (!a.success) return undefined;
        account = { platform_id: a.data.platform_id, platform: a.data.platform, last_success_ms: a.data.last_success_ms, devices: [] };
        accounts[JSON.parse(m[1]!) as string] = account;
        continue;
      }
      if (!account && line === '}}') {
        ended = true;
        continue;
      }
      return undefined;
    }
    if (!header) return undefined;
    if (!ended) return { problem: `${path} is not valid JSON (it ends early: a torn write?)`, rejected: 0 };
    return { contents: { saved_at_ms: header.saved_at_ms, accounts }, rejected };
  } finally {
    await fh.close();
  }
}

/** Any other layout of the same JSON (version 1 files): parsed whole. */
async function loadWhole(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rejected: 0 };
    return { problem: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, rejected: 0 };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `${path} is not valid JSON (${(err as Error).message.slice(0, 100)})`, rejected: 0 };
  }
  const parsed = cacheFile.safeParse(json);
  if (!parsed.success) return { problem: `${path} is not a version 1 or ${CACHE_VERSION} exporter cache`, rejected: 0 };
  let rejected = 0;
  const accounts: Record<string, CachedAccount> = {};
  for (const [name, a] of Object.entries(parsed.data.accounts)) {
    const devices: CachedDevice[] = [];
    for (const raw of a.devices) {
      const d = cachedDevice.safeParse(raw);
      if (d.success) devices.push(compact(parsed.data.version === 1 ? upgradeV1(d.data) : d.data));
      else rejected++;
    }
    accounts[name] = { platform_id: a.platform_id, platform: a.platform, last_success_ms: a.last_success_ms, devices };
  }
  return { contents: { saved_at_ms: parsed.data.saved_at_ms, accounts }, rejected };
}

/**
 * Devices serialized per write: a 100,000-device cache is written in slices, never as one
 * string. Small enough that a slice's text (about 250 bytes a device) stays a regular heap
 * object: strings over 128 KiB go to V8's large-object space, and 5,000-device slices left
 * 25 MiB of such garbage per write, once a refresh (issue 21).
 */
export const SLICE = 256;

/** Write the cache atomically and durably, in slices so that scrapes are answered meanwhile. */
export async function saveCache(path: string, contents: CacheContents): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  // One buffer reused for every slice (a fresh Buffer per slice is external memory until a GC).
  let buf = Buffer.allocUnsafe(128 * 1024);
  const put = async (text: string) => {
    const need = Buffer.byteLength(text, 'utf8');
    if (need > buf.length) buf = Buffer.allocUnsafe(need);
    const n = buf.write(text, 0, 'utf8');
    await fh.write(buf, 0, n);
  };
  try {
    // One device per line (still one JSON document): loadCache reads it line by line.
    await put(`{"format":${JSON.stringify(CACHE_FORMAT)},"version":${CACHE_VERSION},"saved_at_ms":${JSON.stringify(contents.saved_at_ms)},"accounts":{\n`);
    let firstAccount = true;
    for (const [name, a] of Object.entries(contents.accounts)) {
      const { devices, ...head } = a;
      const headJson = JSON.stringify(head).slice(0, -1);
      await put(`${firstAccount ? '' : ','}${JSON.stringify(name)}:${headJson}${headJson.length > 1 ? ',' : ''}"devices":[\n`);
      firstAccount = false;
      for (let i = 0; i < devices.length; i += SLICE) {
        let part = i > 0 ? ',' : '';
        const end = Math.min(devices.length, i + SLICE);
        for (let j = i; j < end; j++) part += (j > i ? '\n,' : '') + JSON.stringify(devices[j]);
        await put(`${part}\n`);
      }
      await put(']}\n');
    }
    await put('}}\n');
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dir.close();
  }
}
