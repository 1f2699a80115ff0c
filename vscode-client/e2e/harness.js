// The e2e harness: code-server 4.100.3 (the VS Code 1.100.3 workbench with its real Node extension
// host) with the packaged Taskyard .vsix installed, driven by playwright-core in Debian's headless
// Chromium. Each `start()` gets its own temp folder (user data, extensions, workspace, Taskyard
// data, browser profile), so nothing lands in $HOME or in the system temp folder.
//
// Env: VSIX            the packaged extension (default ../dist/taskyard-<version>.vsix, `npm run package`)
//      SIDECAR_PYTHON  interpreter with the taskyard package (default ../../.venv/bin/python)
//      SHOTS_DIR       where PNGs and logs go (default ./shots)
//      CODE_SERVER_BIN another code-server (default ./node_modules/.bin/code-server)
//      CHROMIUM        the browser (default /usr/bin/chromium);  KEEP_TMP=1 keeps the temp folder
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { chromium } = require('playwright-core');

const HERE = __dirname;
const CODE_SERVER = process.env.CODE_SERVER_BIN || path.join(HERE, 'node_modules', '.bin', 'code-server');
const { version } = require('../package.json');
const VSIX = path.resolve(process.env.VSIX || path.join(HERE, '..', 'dist', `taskyard-${version}.vsix`));
const SIDECAR_PYTHON = path.resolve(process.env.SIDECAR_PYTHON || path.join(HERE, '..', '..', '.venv', 'bin', 'python'));
const SHOTS = path.resolve(process.env.SHOTS_DIR || path.join(HERE, 'shots'));
const EXT_ID = 'taskyard.taskyard';

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitHttp(url, ms) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timeout waiting for ${url}`);
}

/**
 * Task bridges are detached on purpose (they outlive the sidecar), so a run that failed before
 * deleting its task leaves one behind. They are found by this run's own temp folder in their
 * environment and ended by pid.
 */
function killLeftovers(tmp) {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(tmp)) process.kill(Number(pid), 'SIGTERM');
    } catch { /* gone, or not ours to read */ }
  }
}

/**
 * Starts code-server with the vsix and opens the workbench.
 * @param {string} name   run name: screenshots go to shots/<name>/
 * @param {object} settings  extra user settings (e.g. taskyard.pythonPath)
 */
async function start(name, settings = {}) {
  for (const [what, file, fix] of [
    ['code-server', CODE_SERVER, 'run tools/vscode-e2e-setup.sh'],
    ['the packaged extension', VSIX, 'run `npm run package` in vscode-client'],
    ['the sidecar\'s Python', SIDECAR_PYTHON, 'run tools/bootstrap or set SIDECAR_PYTHON'],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`${what} is missing (${file}): ${fix}`);
  }
  const t0 = Date.now();
  const secs = (from = t0) => `${((Date.now() - from) / 1000).toFixed(1)}s`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-e2e-'));
  const d = (n) => { const p = path.join(tmp, n); fs.mkdirSync(p, { recursive: true }); return p; };
  const userData = d('user-data'), extDir = d('extensions'), workspace = d('workspace');
  const shots = path.join(SHOTS, name);
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: d('xdg-config'), XDG_DATA_HOME: d('xdg-data'), XDG_CACHE_HOME: d('xdg-cache'), TMPDIR: d('tmp'),
    TASKYARD_DATA_DIR: d('taskyard-data'),  // the sidecar's database and task workspaces
    TASKYARD_DEMO_SPEED: '5',
    TASKYARD_DOCKER: '0',  // local workspaces only: Docker ones are slower and tested elsewhere
  };
  fs.writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');
  fs.mkdirSync(path.join(userData, 'User'));
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'taskyard.pythonPath': SIDECAR_PYTHON,
    'taskyard.trace.server': 'messages',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'files.simpleDialog.enable': true,
    'terminal.integrated.gpuAcceleration': 'off',  // DOM renderer: the test reads the terminal's rows
    ...settings,
  }, null, 2));
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  // The real packaging path: installing the vsix also checks engines.vscode against 1.100.3.
  execFileSync(CODE_SERVER, ['--config', config, '--extensions-dir', extDir, '--user-data-dir', userData,
    '--install-extension', VSIX], { env, stdio: ['ignore', 'pipe', 'inherit'] });

  const port = await freePort();
  // 127.0.0.1 only: webviews need a secure context (crypto.subtle and a service worker).
  const cs = spawn(CODE_SERVER, [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--config', config,
    '--user-data-dir', userData, '--extensions-dir', extDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', '--log', 'warn', workspace,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });  // own process group, killed whole in stop()
  const log = fs.createWriteStream(path.join(shots, 'code-server.log'));
  cs.stdout.pipe(log); cs.stderr.pipe(log);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 30_000);
  console.log(`[${name}] code-server up after ${secs()}`);

  const ctx = await chromium.launchPersistentContext(d('chrome-profile'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, env,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const consoleLog = fs.createWriteStream(path.join(shots, 'browser-console.log'));
  const problems = [];
  page.on('console', (m) => {
    consoleLog.write(`[${m.type()}] ${m.text()}\n`);
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  const nav = Date.now();
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' }).waitFor({ timeout: 60_000 });
  console.log(`[${name}] workbench ready ${secs(nav)} after navigation, ${secs()} after start`);

  let n = 0;
  const h = {
    page, tmp, workspace, env, shots, problems, secs,
    /** The Taskyard webview: outer iframe (by extension id) → inner #active-frame. */
    webview: () => page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`).frameLocator('#active-frame'),
    /** A numbered screenshot of the whole workbench, plus one of the webview alone. */
    async shot(label) {
      n += 1;
      const base = `${String(n).padStart(2, '0')}-${label}`;
      await page.mouse.move(900, 450);  // no hover tooltip in the picture
      await page.waitForTimeout(250);
      await page.screenshot({ path: path.join(shots, `${base}.png`) });
      const frame = page.locator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`);
      if (await frame.count()) await frame.first().screenshot({ path: path.join(shots, `${base}-panel.png`) }).catch(() => {});
    },
    /** Runs a command from the palette (focus goes to the workbench first, not the webview). */
    async palette(title) {
      await page.locator('.part.statusbar').click({ position: { x: 700, y: 5 } }).catch(() => {});
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.fill(`>${title}`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title.split(': ').pop() }).first().waitFor();
      await page.keyboard.press('Enter');
    },
    async stop() {
      await page.screenshot({ path: path.join(shots, '99-final.png') }).catch(() => {});
      await ctx.close().catch(() => {});
      try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* already gone */ }
      await new Promise((r) => setTimeout(r, 300));
      killLeftovers(tmp);
      consoleLog.end(); log.end();
      // retries: a bridge ended a moment ago may still be writing into its work folder
      if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      console.log(`[${name}] total ${secs()}`);
    },
  };
  return h;
}

module.exports = { start, SIDECAR_PYTHON, VSIX, EXT_ID };
