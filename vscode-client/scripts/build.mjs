// Bundles the extension (Node, CommonJS) and the webview (browser, ESM) with esbuild.
// `--tests` bundles the unit tests instead, into out/test/ for `node --test`.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => join(root, ...p);
const common = { bundle: true, logLevel: 'warning', sourcemap: false, legalComments: 'none' };

if (process.argv.includes('--tests')) {
  rmSync(at('out', 'test'), { recursive: true, force: true });
  const tests = readdirSync(at('test', 'unit')).filter((f) => f.endsWith('.test.ts'));
  await build({
    ...common,
    entryPoints: tests.map((f) => at('test', 'unit', f)),
    outdir: at('out', 'test'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  });
} else {
  rmSync(at('dist'), { recursive: true, force: true });
  await Promise.all([
    build({
      ...common,
      entryPoints: [at('src', 'ext', 'extension.ts')],
      outfile: at('dist', 'extension.js'),
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      minify: true,
    }),
    build({
      ...common,
      entryPoints: { main: at('src', 'webview', 'main.ts'), style: at('src', 'webview', 'style.css') },
      outdir: at('dist', 'webview'),
      platform: 'browser',
      format: 'esm',
      target: 'chrome120',
      minify: true,
    }),
  ]);
  const codicons = at('node_modules', '@vscode', 'codicons', 'dist');
  mkdirSync(at('dist', 'webview'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, f), at('dist', 'webview', f));
}
