// `npm run demo` as a user runs it: it starts, prints its URLs and a token that work, a device
// flipped offline through the simulator's control API makes the simulated modem print the SMS,
// and SIGINT (Ctrl-C) stops every process it started (no orphans, checked with ps).
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startProgram, until } from './support/child.js';

let demo: Child | undefined;

afterAll(async () => {
  await demo?.stop(30_000, 'SIGINT');
}, 60_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it('starts, prints working URLs and token, streams the SMS of a flipped device, stops cleanly on SIGINT', async () => {
    demo = startProgram('demo', 'test/e2e/demo.ts', ['--poll', '2', '--scrape', '1'], process.env.E2E_LOG ? { onLine: (l) => process.stderr.write(`[demo] ${l}\n`) } : {});
    const m = await demo.waitForOutput(/demo ready: hub (\S+) sim (\S+) dir (\S+) pids (\S+)/, 150_000);
    const [, hub, sim, dir, pidList] = m as unknown as [string, string, string, string, string];
    const out = demo.output();
    expect(out).toContain(`Hub / хаб:                ${hub}`);
    expect(out).toContain(`${sim}/_sim/ui`);
    expect(out).toMatch(/EN: open the simulator page/);
    expect(out).toMatch(/RU: откройте страницу симулятора/);
    const token = (out.match(/Sign-in token \/ токен:\s+(\S+)/) as RegExpMatchArray)[1] as string;

    // What it printed works.
    const jobs = (await (await fetch(`${hub}/api/v1/jobs`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(jobs.items).toHaveLength(3);
    // The web form when hub/main.ts mounts it (`/` leads to its sign-in page), the API otherwise.
    const root = await fetch(`${hub}/`);
    if (root.ok && (root.headers.get('content-type') ?? '').includes('html')) expect(out).toContain(`${hub}/   (web form`);
    else expect(out).toContain(`${hub}/api/v1`);
    const page = await fetch(`${sim}/_sim/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/30001/);

    // The button's request: device 30001 goes offline; the power-cycle command reaches the modem.
    const res = await fetch(`${sim}/_sim/devices/30001`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection_state: 'offline' }) });
    expect(res.ok).toBe(true);
    await demo.waitForOutput(/SMS -> \+79161234567: "#12#0#1#1#"/, 30_000);
    await demo.waitForOutput(/execution \S+ \([^)]*\): delivered/, 20_000);

    // The playbook device: its socket power-cycles it, the player comes back, "recovered".
    const pc = await fetch(`${sim}/_sim/devices/30003`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection_state: 'offline' }) });
    expect(pc.ok).toBe(true);
    await demo.waitForOutput(/SMS -> \+79161234503: "#12#0#1#1#"/, 30_000);
    await demo.waitForOutput(/player 30003 is rebooting/, 5_000);
    await demo.waitForOutput(/execution \S+ \([^)]*\): \w+ step 2 verify recovered outcome recovered \(time to recovery [\d.]+ s\)/, 60_000);

    // Ctrl-C: everything stops.
    const pids = pidList.split(',').map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(5);
    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('demo stopped');
    await until(() => pids.every((p) => !alive(p)), 10_000, 'every child of the demo gone');
    const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((l) => l.includes(dir))).toEqual([]);
  }, 240_000);
});
