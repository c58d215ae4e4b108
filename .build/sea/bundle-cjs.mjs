// Bundle the agent's ESM TypeScript entry into one CommonJS script for a Node single
// executable application (a SEA main script must be CommonJS on Node 24).
//
// Inside a SEA the main script's own `require` loads only built-in modules. The banner replaces
// it with a real one made by module.createRequire(__filename) (in a SEA, __filename is
// process.execPath), so that node-gyp-build, bundled with @serialport/bindings-cpp, can load the
// serialport addon from prebuilds/linux-<arch>/ beside the executable: it looks in
// path.dirname(process.execPath)/prebuilds when the package directory does not exist.
// import.meta.url/dirname/filename (empty in CommonJS output) are mapped to the executable.
import { build } from 'esbuild';

const BANNER = [
  '/* gsmjobs agent: single executable main script (CommonJS). */',
  "var require = require('node:module').createRequire(__filename);",
  "var __gsmjobs_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
].join('\n');

/** Modules that are optional at run time and not installed: left as require() calls that fail softly. */
const OPTIONAL_EXTERNALS = ['bufferutil', 'utf-8-validate'];

export async function bundleCjs({ entry, outfile, define = {} }) {
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: false,
      keepNames: true,
      legalComments: 'eof',
      metafile: true,
      jsx: 'automatic',
      jsxImportSource: 'hono/jsx',
      external: OPTIONAL_EXTERNALS,
      banner: { js: BANNER },
      define: {
        'import.meta.url': '__gsmjobs_import_meta_url',
        'import.meta.filename': '__filename',
        'import.meta.dirname': '__dirname',
        ...define,
      },
      logLevel: 'silent',
    });
  } catch (err) {
    const text = String(err?.message ?? err);
    if (/top-level await/i.test(text)) {
      throw new Error(`${entry}: top-level await cannot be bundled as CommonJS for a single executable; wrap the start-up in an async main() and call it with .then()/.catch().\n${text}`);
    }
    throw err;
  }
  const inputs = Object.keys(result.metafile.inputs);
  const natives = inputs.filter((f) => f.endsWith('.node'));
  if (natives.length) throw new Error(`native addons must not be bundled: ${natives.join(', ')}`);
  if (!inputs.some((f) => f.includes('node-gyp-build')) && inputs.some((f) => f.includes('@serialport/bindings-cpp'))) {
    throw new Error('@serialport/bindings-cpp is bundled without node-gyp-build: the addon loader changed, check .build/sea/bundle-cjs.mjs');
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { bytes, inputs: inputs.length, warnings: result.warnings };
}
