// Bundle the agent's ESM TypeScript entry for a Node single executable application.
//
// A SEA main script must be CommonJS on Node 24, and its own `require` loads only built-in
// modules. Two ways, chosen automatically (--format auto|cjs|esm):
//  - cjs (default): the whole program bundled as CommonJS. The banner replaces `require` with a
//    real one made by module.createRequire(__filename) (in a SEA, __filename is
//    process.execPath), so that node-gyp-build, bundled with @serialport/bindings-cpp, can load
//    the serialport addon: it looks in path.dirname(process.execPath)/prebuilds when its package
//    directory does not exist.
//  - esm: for an entry with top-level await, which CommonJS cannot express. The program is
//    bundled as ESM, embedded as a SEA asset, and a tiny CommonJS main script imports it from a
//    data: URL (Node 24 SEAs support import() in the main script). Only built-ins stay external,
//    which is all a data: module may import; __dirname/__filename, which CommonJS dependencies
//    use, are defined as the executable's, and a sourceURL keeps stack traces short.
// In both, import.meta.url/dirname/filename point at the executable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Modules that are optional at run time and not installed: left as require() calls that fail softly. */
const OPTIONAL_EXTERNALS = ['bufferutil', 'utf-8-validate'];

const CJS_BANNER = [
  '/* gsmjobs agent: single executable main script (CommonJS). */',
  "var require = require('node:module').createRequire(__filename);",
  "var __gsmjobs_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
  "var __gsmjobs_import_meta_filename = __filename;",
  "var __gsmjobs_import_meta_dirname = __dirname;",
].join('\n');

const ESM_BANNER = [
  '/* gsmjobs agent: single executable program (ESM, loaded from a SEA asset). */',
  "import { createRequire as __gsmjobsCreateRequire } from 'node:module';",
  "import { pathToFileURL as __gsmjobsPathToFileURL } from 'node:url';",
  "import { dirname as __gsmjobsDirname } from 'node:path';",
  'const require = __gsmjobsCreateRequire(process.execPath);',
  'const __filename = process.execPath;',
  'const __dirname = __gsmjobsDirname(process.execPath);',
  'const __gsmjobs_import_meta_url = __gsmjobsPathToFileURL(process.execPath).href;',
  'const __gsmjobs_import_meta_filename = process.execPath;',
  'const __gsmjobs_import_meta_dirname = __gsmjobsDirname(process.execPath);',
].join('\n');

/** The CommonJS main script of the esm way: import the embedded program from a data: URL. */
const ESM_LOADER = `/* gsmjobs agent: single executable main script, loads the ESM program embedded as an asset. */
const { getAsset } = require('node:sea');
const source = getAsset('agent.mjs', 'utf8');
import('data:text/javascript;base64,' + Buffer.from(source, 'utf8').toString('base64')).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;

function options(entry, outfile, format) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format,
    minify: false,
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    external: OPTIONAL_EXTERNALS,
    banner: { js: format === 'cjs' ? CJS_BANNER : ESM_BANNER },
    // Stack traces name the program instead of printing its whole data: URL.
    footer: format === 'esm' ? { js: '//# sourceURL=gsmjobs-agent.mjs' } : undefined,
    define: {
      'import.meta.url': '__gsmjobs_import_meta_url',
      'import.meta.filename': '__gsmjobs_import_meta_filename',
      'import.meta.dirname': '__gsmjobs_import_meta_dirname',
    },
    logLevel: 'silent',
  };
}

function check(result) {
  const inputs = Object.keys(result.metafile.inputs);
  const natives = inputs.filter((f) => f.endsWith('.node'));
  if (natives.length) throw new Error(`native addons must not be bundled: ${natives.join(', ')}`);
  if (!inputs.some((f) => f.includes('node-gyp-build')) && inputs.some((f) => f.includes('@serialport/bindings-cpp'))) {
    throw new Error('@serialport/bindings-cpp is bundled without node-gyp-build: the addon loader changed, check .build/sea/bundle.mjs');
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { bytes, inputs: inputs.length };
}

const isTopLevelAwait = (err) => /top-level await/i.test(String(err?.message ?? err));

/**
 * Bundle `entry` into workDir. Returns { format, mainScript, assets, bytes, inputs } where
 * assets maps SEA asset keys to files (empty for cjs).
 */
export async function bundleForSea({ entry, workDir, format = 'auto' }) {
  if (format === 'cjs' || format === 'auto') {
    const mainScript = join(workDir, 'agent.cjs');
    try {
      const info = check(await build(options(entry, mainScript, 'cjs')));
      return { format: 'cjs', mainScript, assets: {}, ...info };
    } catch (err) {
      if (!(format === 'auto' && isTopLevelAwait(err))) {
        if (isTopLevelAwait(err)) throw new Error(`${entry} uses top-level await: build with --format esm (or auto)`, { cause: err });
        throw err;
      }
    }
  }
  if (format !== 'esm' && format !== 'auto') throw new Error(`--format: unknown ${format} (auto, cjs, esm)`);
  const program = join(workDir, 'agent.mjs');
  const info = check(await build(options(entry, program, 'esm')));
  const mainScript = join(workDir, 'agent-loader.cjs');
  writeFileSync(mainScript, ESM_LOADER);
  return { format: 'esm', mainScript, assets: { 'agent.mjs': program }, ...info };
}
