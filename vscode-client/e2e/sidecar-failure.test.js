// Negative control: the sidecar cannot start (the interpreter has no taskyard package). The panel
// must show its failure state with the fix, never the create form the happy path starts from;
// fixing the setting brings the sidecar up without reloading the window.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { start, SIDECAR_PYTHON } = require('./harness');

const BARE_PYTHON = process.env.BARE_PYTHON || '/usr/bin/python3';
let h;

before(async () => {
  h = await start('sidecar-failure', { 'taskyard.pythonPath': BARE_PYTHON });
});

after(async () => {
  await h?.stop();
});

test('the panel shows why the sidecar cannot start and how to fix it', { timeout: 90_000 }, async () => {
  await h.page.locator('.activitybar .action-item a[aria-label^="Taskyard"]').click();
  const failed = h.webview().locator('[data-testid="sidecar-failed"]');
  await failed.waitFor({ timeout: 45_000 });
  assert.match(await h.webview().locator('[data-testid="sidecar-message"]').textContent(),
    new RegExp(`not installed for "${BARE_PYTHON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  assert.match(await h.webview().locator('[data-testid="fix-command"]').textContent(), /-m pip install taskyard/);
  await h.webview().locator('[data-testid="restart-sidecar"]').waitFor();
  // The happy path's first step would fail here: there is no create form to fill.
  await assert.rejects(h.webview().locator('[data-testid="create-form"]').waitFor({ timeout: 3000 }));
  await h.page.locator('.statusbar-item.has-background-color', { hasText: 'Taskyard' }).first().waitFor();
  await h.shot('failure-state');
});

test('fixing taskyard.pythonPath in the Settings editor recovers without a reload', { timeout: 180_000 }, async () => {
  const { page } = h;
  await h.webview().locator('vscode-button', { hasText: 'Open Settings' }).click();
  // code-server is a remote: machine-overridable settings live under the "Remote" tab
  await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: 'Remote' }).click();
  const item = page.locator('.settings-editor .setting-item', { hasText: 'Python Path' }).first();
  const input = item.locator('input');
  await input.waitFor({ timeout: 20_000 });
  await input.fill(SIDECAR_PYTHON);
  await input.press('Tab');
  await h.webview().locator('[data-testid="create-form"]').waitFor({ timeout: 120_000 });
  await h.webview().locator('[data-testid="sidecar-failed"]').waitFor({ state: 'detached' });
  await h.shot('recovered');
});
