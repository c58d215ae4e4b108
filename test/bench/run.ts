// `npm run bench [-- name ...]`: runs every test/bench/*.bench.ts (or those whose file name
// contains one of the given words), prints a table and writes test-artifacts/bench.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bench, type BenchResult, met } from './harness.js';

const dir = new URL('.', import.meta.url).pathname;
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
    const mod = (await import(join(dir, file))) as { default: Bench };
    for (const r of await mod.default()) {
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
