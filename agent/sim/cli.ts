// `npm run modem-sim -- --dir /tmp/modem [--model SIM800] [--log sms.jsonl] ...`: a scripted
// modem on a pty pair for the demo and for trying the agent without hardware. Control lines on
// stdin: `inbound <from> <text>`, `silent on|off`, `cms <code>`, `hang`, `pin-attempts`, `unplug`, `plug`, `restart`,
// and the crash-test pause points (see SimModem.hold): `hold prompt|answer|off` arms one,
// stdout says `{"held":"prompt"}` when the modem is there, `release` lets it go on.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { defaultBinding } from '../modem/stack.js';
import { MODELS, type ModelName } from './models.js';
import { SimPty } from './pty.js';

export async function runSimCli(argv: string[], stopSignal: Promise<string>): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: '/tmp/gsmjobs-modem' },
      name: { type: 'string', default: 'modem' },
      model: { type: 'string', default: 'SIM800' },
      log: { type: 'string' },
      pin: { type: 'string' },
      spam: { type: 'boolean', default: false },
      split: { type: 'boolean', default: false },
      'status-report-ms': { type: 'string' },
      'status-report-status': { type: 'string' },
      'send-delay-ms': { type: 'string' },
    },
  });
  const model = values.model as ModelName;
  if (!(model in MODELS)) {
    process.stderr.write(`unknown model ${model}: use one of ${Object.keys(MODELS).join(', ')}\n`);
    return 2;
  }
  mkdirSync(values.dir, { recursive: true });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const sr = num(values['status-report-ms']);
  const srs = num(values['status-report-status']);
  const sd = num(values['send-delay-ms']);
  const sim = new SimPty({
    dir: values.dir,
    name: values.name,
    model,
    binding: await defaultBinding(),
    spam: values.spam,
    splitChunks: values.split,
    ...(values.log ? { logFile: values.log } : {}),
    ...(values.pin ? { pin: values.pin } : {}),
    ...(sr !== undefined ? { statusReportDelayMs: sr } : {}),
    ...(srs !== undefined ? { statusReportStatus: srs } : {}),
    ...(sd !== undefined ? { sendDelayMs: sd } : {}),
    onSms: (s) => process.stdout.write(`${JSON.stringify({ sms: s })}\n`),
    onPinAttempt: (a) => process.stdout.write(`${JSON.stringify({ pin_attempt: a })}\n`),
  });
  sim.modem.onHeld = (point) => process.stdout.write(`${JSON.stringify({ held: point })}\n`);
  await sim.start();
  process.stdout.write(`modem-sim ready: ${model} at ${sim.path}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, ...rest] = line.trim().split(/\s+/);
    const m = sim.modem;
    if (cmd === 'inbound' && rest.length >= 2) m.receive(rest[0] as string, rest.slice(1).join(' '));
    else if (cmd === 'silent') m.silent = rest[0] !== 'off';
    else if (cmd === 'cms') m.cmsErrors.push(Number(rest[0] ?? 500));
    else if (cmd === 'hang') m.hangNextSend = true;
    else if (cmd === 'restart') m.restart();
    else if (cmd === 'hold' && (rest[0] === 'prompt' || rest[0] === 'answer')) m.hold = rest[0];
    else if (cmd === 'hold' && rest[0] === 'off') m.hold = undefined;
    else if (cmd === 'release') m.release();
    else if (cmd === 'pin-attempts') process.stdout.write(`pin-attempts ${m.pinAttempts} tries-left ${m.pinTriesLeft}\n`);
    else if (cmd === 'unplug') void sim.unplug();
    else if (cmd === 'plug') void sim.plugIn();
    else process.stderr.write(`unknown control line: ${line}\n`);
  });
  await stopSignal;
  rl.close();
  await sim.stop();
  return 0;
}
