// `npm run bench [-- name ...]`: runs every test/bench/*.bench.ts (or those whose file name
// contains one of the given words), prints a table and writes test-artifacts/bench.json.
//
// A bench module may export `nodeFlags` (the flags its program runs with in production, e.g. the
// hub's V8 young generation in hub/deploy/gsmjobs-hub.service): it then runs in a child node
// process started with them, which prints its results as one `BENCH_RESULTS <json>` line.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bench, type BenchResult, met } from './harness.js';

const dir = new URL('.', import.meta.url).pathname;
const CHILD = '--bench-child';
const RESULTS = 'BENCH_RESULTS ';

/** Run one bench file in a child process started with `flags`; its output passes through. */
function inChild(file: string, flags: string[]): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, ...process.execArgv, new URL(import.meta.url).pathname, CHILD, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let results: BenchResult[] | null = null;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(RESULTS)) results = JSON.parse(line.slice(RESULTS.length)) as BenchResult[];
        else console.log(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (results && code === 0 ? resolve(results) : reject(new Error(`${file} in a child process: exit ${code}`))));
  });
}

if (process.argv[2] === CHILD) {
  const mod = (await import(join(dir, process.argv[3] as string))) as { default: Bench };
  console.log(`${RESULTS}${JSON.stringify(await mod.default())}`);
  process.exit(0);
}

const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

const all: Array<BenchResult & { file: string; met?: boolean }> = [];
let broken = 0;
for (const file of files) {
  console.log(`\n--- ${file}`);
  try {
    const mod = (await import(join(dir, file))) as { default: Bench; nodeFlags?: string[] };
    const flags = (mod.nodeFlags ?? []).filter((f) => !process.execArgv.includes(f));
    if (flags.length > 0) console.log(`(in a child process: node ${flags.join(' ')})`);
    for (const r of flags.length > 0 ? await inChild(file, mod.nodeFlags ?? []) : await mod.default()) {
      const ok = met(r);
      all.push({ ...r, file, ...(ok === undefined ? {} : { met: ok }) });
      const target = r.target ? ` (target ${r.target.better === 'lower' ? '<=' : '>='} ${r.target.value} ${r.unit}: ${ok ? 'met' : 'MISSED'})` : '';
      console.log(`${r.name}: ${Number.isInteger(r.value) ? r.value : r.value.toFixed(3)} ${r.unit}${target}${r.notes ? ` - ${r.notes}` : ''}`);
    }
  } catch (err) {
    broken++;
    console.error(`${file} failed: ${(err as Error).stack ?? String(err)}`);
  }
}
if (files.length === 0) console.log('no benchmark matched');
const out = join(dir, '..', '..', 'test-artifacts');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results: all }, null, 2)}\n`);
console.log(`\n${all.length} figures, ${all.filter((r) => r.met === false).length} targets missed, ${broken} benchmarks broken; written to test-artifacts/bench.json`);
process.exit(broken ? 1 : 0);
