// Production bundles with esbuild: dist/<program>/index.mjs for each program whose main exists.
// Native addons (serialport's binding) stay external and are resolved from node_modules or,
// for the agent's single executable, from prebuilds/ beside it (see npm run build:agent).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

// The hub's PostgreSQL migrations go into the bundle as text (hub/store/pg/migrations-embedded.ts
// is null in the sources, where migrate.ts reads the .sql files).
const embedMigrations = {
  name: 'embed-migrations',
  setup(b) {
    b.onLoad({ filter: /hub[\\/]store[\\/]pg[\\/]migrations-embedded\.ts$/ }, (args) => {
      const dir = new URL('../hub/store/pg/migrations/', import.meta.url).pathname;
      const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
      const list = files.map((name) => ({ name, sql: readFileSync(`${dir}${name}`, 'utf8') }));
      return { contents: `export const EMBEDDED_MIGRATIONS = ${JSON.stringify(list)};\n`, loader: 'js', watchFiles: [args.path, ...files.map((f) => `${dir}${f}`)] };
    });
  },
};

const root = new URL('..', import.meta.url).pathname;
const programs = process.argv.slice(2).length ? process.argv.slice(2) : ['hub', 'agent', 'exporter'];
let built = 0;
for (const name of programs) {
  const entry = `${root}${name}/main.ts`;
  if (!existsSync(entry)) {
    console.log(`skip ${name}: ${name}/main.ts does not exist yet`);
    continue;
  }
  const result = await build({
    entryPoints: [entry],
    outfile: `${root}dist/${name}/index.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    minify: false,
    legalComments: 'linked',
    metafile: true,
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    external: ['@serialport/bindings-cpp', 'bufferutil', 'utf-8-validate'],
    // Some CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __gsmjobsCreateRequire } from 'node:module'; const require = __gsmjobsCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    plugins: [embedMigrations],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`built dist/${name}/index.mjs (${(bytes / 1024).toFixed(0)} KiB with map)`);
  built++;
}
if (built === 0) console.log('nothing to build');
