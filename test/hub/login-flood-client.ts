// The attacker of the login-flood test and bench (issue 18), run as its own process so that its
// sockets do not share an event loop with the /healthz sampler: at a fixed rate (open loop, at
// most `parallel` sockets at once) it sends bad CONNECTs to the broker and reports, as one JSON
// line on stdout, what each got back. The mix: half "guessers" (a known site username with wrong
// passwords from a few fixed loopback addresses, which soon back off), half "sprayers" (unknown
// usernames from ever new 127.x.y.z addresses, which no backoff catches); every tenth CONNECT
// carries a 60,000-character client id; `idle` more sockets from one address connect and never
// send anything (slow loris). With `decoyPort`, phases of `phaseMs` alternate from `startAt`
// (epoch ms): first the same flood against a closed port (the attacker's own cost, the kernel
// answers with a reset), then against the broker, and so on: the test's like-with-like baseline.
// Usage: tsx login-flood-client.ts '<json FloodPlan>'.
import { connect, type Socket } from 'node:net';
import { connectPacket } from '../support/mqtt-raw.js';

export interface FloodPlan {
  port: number;
  durationMs: number;
  /** CONNECTs started per second. */
  rate: number;
  /** Sockets open at once at most (beyond: the CONNECT is skipped and counted). */
  parallel: number;
  /** A known username, guessed from the fixed addresses. */
  knownUsername: string;
  /** Silent sockets held from one address during the flood. */
  idle: number;
  /** Second octet of the addresses used (distinct per run, so TIME_WAIT of an earlier run is not in the way). */
  net: number;
  /** A closed port: even phases flood it instead of the broker (unless `cycle` says otherwise). */
  decoyPort?: number;
  phaseMs?: number;
  /**
   * What each phase of `phaseMs` does, repeated from `startAt`: `quiet` sends nothing (the hub as
   * if nobody attacked it), `decoy` floods `decoyPort`, `flood` the broker. Default: decoy, flood.
   */
  cycle?: Phase[];
  /** Epoch ms the phases count from (default: the client's start). */
  startAt?: number;
}

export type Phase = 'quiet' | 'decoy' | 'flood';

export interface FloodResult {
  /** CONNECTs sent to the broker (decoy ones apart). */
  started: number;
  decoy: number;
  skipped: number;
  /** Outcome of each CONNECT: the CONNACK return code, "dropped" (closed without a CONNACK) or "timeout". */
  outcomes: Record<string, number>;
  /** Silent sockets the broker closed before the flood ended, and those still open at its end. */
  idleClosed: number;
  idleOpen: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as FloodPlan;
const startAt = plan.startAt ?? Date.now();
const result: FloodResult = { started: 0, decoy: 0, skipped: 0, outcomes: {}, idleClosed: 0, idleOpen: 0 };
const longId = 'c'.repeat(60_000);
let open = 0;
let n = 0;

const cycle: Phase[] = plan.cycle ?? (plan.decoyPort !== undefined ? ['decoy', 'flood'] : ['flood']);

function attempt(): void {
  const phase = cycle[Math.floor((Date.now() - startAt) / (plan.phaseMs ?? 1000)) % cycle.length] ?? 'flood';
  if (phase === 'quiet') return;
  if (open >= plan.parallel) {
    result.skipped++;
    return;
  }
  const i = n++;
  const guesser = i % 2 === 0;
  const localAddress = guesser ? `127.${plan.net}.200.${1 + (i % 8)}` : `127.${plan.net}.${1 + ((i >> 8) % 190)}.${(i & 255) || 1}`;
  const packet = connectPacket({
    clientId: i % 10 === 9 ? longId : `flood-${i}`,
    username: guesser ? plan.knownUsername : `site/fl/ghost-${i}`,
    password: `guess-${i}`,
  });
  const decoy = phase === 'decoy';
  open++;
  if (decoy) result.decoy++;
  else result.started++;
  let got = Buffer.alloc(0);
  let settled = false;
  const socket = connect({ host: '127.0.0.1', port: decoy ? (plan.decoyPort as number) : plan.port, localAddress });
  const finish = (outcome: string) => {
    if (settled) return;
    settled = true;
    open--;
    clearTimeout(timer);
    if (!decoy) result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
    socket.destroy();
  };
  const timer = setTimeout(() => finish('timeout'), 20_000);
  socket.on('connect', () => socket.write(packet));
  socket.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d]);
    if (got.length >= 4 && got[0] === 0x20) finish(String(got[3]));
  });
  socket.on('error', () => finish('dropped'));
  socket.on('close', () => finish('dropped'));
}

const idleSockets: Socket[] = [];
for (let i = 0; i < plan.idle; i++) {
  const s = connect({ host: '127.0.0.1', port: plan.port, localAddress: `127.${plan.net}.250.1` });
  s.on('error', () => undefined);
  s.on('close', () => result.idleClosed++);
  idleSockets.push(s);
}

const perTick = plan.rate / 100;
let owed = 0;
let ticker: NodeJS.Timeout | undefined;
const tick = () => {
  owed += perTick;
  while (owed >= 1) {
    owed--;
    attempt();
  }
};
setTimeout(() => (ticker = setInterval(tick, 10)), Math.max(0, startAt - Date.now()));

setTimeout(() => {
  clearInterval(ticker);
  result.idleOpen = idleSockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  const wait = setInterval(() => {
    if (open > 0) return;
    clearInterval(wait);
    for (const s of idleSockets) s.destroy();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }, 50);
}, Math.max(0, startAt - Date.now()) + plan.durationMs);
