// Command-line parsing shared by the three programs: `--help`/`-h` and `--version`/`-V` are
// recognised anywhere on the line and win over everything else, so asking for help never
// starts anything. Pure: returns what to do; the program's main prints and exits.
import { parseArgs } from 'node:util';

export type CliResult =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; values: Record<string, string | boolean | undefined>; positionals: string[] }
  | { kind: 'usage_error'; message: string };

export interface CliSpec {
  /** Options taking a value (e.g. config). */
  strings?: readonly string[];
  /** Flags without a value. */
  booleans?: readonly string[];
}

export function parseCli(argv: readonly string[], spec: CliSpec = {}): CliResult {
  if (argv.some((a) => a === '--help' || a === '-h' || a === 'help')) return { kind: 'help' };
  if (argv.some((a) => a === '--version' || a === '-V')) return { kind: 'version' };
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const s of spec.strings ?? []) options[s] = { type: 'string' };
  for (const b of spec.booleans ?? []) options[b] = { type: 'boolean' };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { kind: 'run', values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    return { kind: 'usage_error', message: (err as Error).message };
  }
}
