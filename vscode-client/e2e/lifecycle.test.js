// One task's whole life through the real panel: code-server runs the packaged extension, which
// starts the real sidecar; the demo agent works in a local workspace (TASKYARD_DEMO_SPEED=5).
// open the sidebar (the "Docker is unavailable" notice: the sidecar runs with TASKYARD_DOCKER=0)
// → parameters (a validation error shown on the field) → create → starting → working → idle with
// the reply → Show Task Changes (the patch in a diff editor) → Export as Branch (no repository
// here: the explanation, then Save as Patch) → follow-up (queued while busy) →
// needs input (the toast's Open task link opens the task and withdraws the toast) → Attach
// Terminal (raw keys) → pause (snapshot banner) → resume → a question answered in the panel
// withdraws its toast → pause again, then Resume and send (the sidecar resumes, the agent
// replies) → download logs through the palette → delete, keeping the work folder.
// Screenshots: shots/lifecycle/.
'use strict';
const { test: nodeTest, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { start } = require('./harness');

let h;
let failed = false;
/** The steps build on each other: after a failure the rest are skipped, not timed out. */
function test(name, opts, fn) {
  nodeTest(name, opts, async (t) => {
    if (failed) return t.skip('an earlier step failed');
    try {
      await fn(t);
    } catch (e) {
      failed = true;
      await h?.shot(`failed-${name.split(/\W+/).slice(0, 3).join('-')}`).catch(() => {});
      throw e;
    }
  });
}
const wv = () => h.webview();
const detail = () => wv().locator('[data-testid="detail"]');
const kindIs = (kind, timeout = 30_000) => wv().locator(`[data-testid="detail"][data-kind="${kind}"]`).waitFor({ timeout });
/** The workbench's toast (bottom right) whose text matches. */
const toastWith = (text) => h.page.locator('.notifications-toasts .notification-toast', { hasText: text });

/** Records every display kind the detail view shows from now on, however briefly. */
async function recordKinds() {
  const frame = await (await wv().locator('body').elementHandle()).ownerFrame();
  await frame.evaluate(() => {
    window.__kinds = [];
    if (window.__kindObserver) return;
    window.__kindObserver = new MutationObserver(() => {
      const k = document.querySelector('[data-testid="detail"]')?.getAttribute('data-kind');
      if (k && window.__kinds.at(-1) !== k) window.__kinds.push(k);
    });
    window.__kindObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-kind'] });
  });
  return () => frame.evaluate(() => window.__kinds);
}

before(async () => {
  h = await start('lifecycle');
});

after(async () => {
  await h?.stop();
});

test('the sidebar opens on the create form with the demo template and its default preset', { timeout: 90_000 }, async () => {
  await h.page.locator('.activitybar .action-item a[aria-label^="Taskyard"]').click();
  await wv().locator('[data-testid="create-form"]').waitFor({ timeout: 45_000 });
  await wv().locator('[data-testid="no-tasks"]').waitFor();
  assert.equal(await wv().locator('[data-testid="template"]').evaluate((e) => e.value), 'demo');
  assert.equal(await wv().locator('[data-testid="preset"]').evaluate((e) => e.value), 'quick');
  // the preset fixes style and speed; the slider stays editable
  await wv().locator('[data-testid="field-style"] .fixed').waitFor();
  await wv().locator('[data-testid="field-max_files"][data-widget="slider"]').waitFor();
  await wv().locator('[data-testid="field-speed"][data-widget="radio"]').waitFor();
  // taskyard/server/info: no Docker here, so a non-blocking notice with the sidecar's reason
  const notice = wv().locator('[data-testid="provider-notice"]');
  await notice.waitFor({ timeout: 15_000 });
  assert.equal((await wv().locator('[data-testid="provider-notice-title"]').textContent()).trim(),
    'Docker is unavailable — tasks run as local processes.');
  assert.match(await notice.textContent(), /TASKYARD_DOCKER=0/);
  assert.equal(await wv().locator('[data-testid="runs-on"]').getAttribute('data-provider'), 'local');
  await h.shot('sidebar');
});

test('a rejected parameter shows the sidecar\'s message on its field', { timeout: 30_000 }, async () => {
  await wv().locator('[data-testid="prompt"] textarea').fill('create notes.txt with Hello from the Taskyard panel');
  const value = wv().locator('[data-testid="slider-value-max_files"] input');
  await value.fill('50');
  const error = wv().locator('[data-testid="field-error-max_files"]');
  await error.waitFor({ timeout: 10_000 });
  assert.equal((await error.textContent()).trim(), 'Pick between 1 and 20 files, not 50.');
  await h.shot('validation-error');
  await value.fill('3');
  await error.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await wv().locator('[data-testid="field-max_files"] input[type="range"]').inputValue(), '3');
});

test('create: the task goes starting → working → idle and the reply appears in the chat', { timeout: 90_000 }, async () => {
  const seen = await recordKinds();
  await wv().locator('[data-testid="create"]').click();
  await detail().waitFor({ timeout: 15_000 });
  await h.shot('starting');
  await kindIs('idle', 60_000);
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created notes.txt' }).waitFor({ timeout: 30_000 });
  const kinds = await seen();
  console.log(`display kinds seen: ${kinds.join(' → ')}`);
  assert.equal(kinds[0], 'starting');
  assert.ok(kinds.indexOf('working') > 0, `working after starting: ${kinds}`);
  assert.equal(kinds.at(-1), 'idle');
  assert.match(await wv().locator('[data-testid="msg-user"]').first().textContent(), /create notes\.txt with Hello/);
  await h.shot('idle-with-reply');
});

test('Show Task Changes opens the task\'s patch in a diff editor', { timeout: 60_000 }, async () => {
  const { page } = h;
  await h.palette('Taskyard: Show Task Changes');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Create notes.txt' }).first().waitFor();
  await page.keyboard.press('Enter');
  const lines = page.locator('.editor-group-container .monaco-editor .view-lines');
  await lines.filter({ hasText: 'notes.txt' }).first().waitFor({ timeout: 15_000 });
  const text = (await lines.first().textContent()).replace(/\u00a0/g, ' ');  // Monaco draws spaces as NBSP
  assert.match(text, /\+\+\+ b\/notes\.txt/);
  assert.match(text, /\+Hello from the Taskyard panel/);
  assert.equal((await page.locator('[id="status.editor.mode"]').textContent()).trim(), 'Diff');  // language mode
  await page.locator('.notifications-toasts .notification-toast', { hasText: 'file changed' }).waitFor({ timeout: 10_000 });
  await h.shot('task-changes');
  await h.palette('View: Revert and Close Editor');  // untitled: closing it would ask to save
  await lines.first().waitFor({ state: 'detached', timeout: 10_000 });
});

test('Export as Branch without a git repository explains why and saves a patch instead', { timeout: 60_000 }, async () => {
  const { page } = h;
  await h.palette('Taskyard: Export Task Work as Branch…');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Create notes.txt' }).first().waitFor();
  await page.keyboard.press('Enter');
  const input = page.locator('.quick-input-widget input');
  await page.waitForFunction(() => /^taskyard\/create-notes/.test(document.querySelector('.quick-input-widget input')?.value ?? ''));
  await input.press('Enter');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'no git repository to export to' });
  await toast.waitFor({ timeout: 15_000 });
  assert.match(await toast.textContent(), /open a folder that is a git repository, or save the changes as a patch/);
  await wv().locator('[data-testid="pending-banner"]').waitFor({ state: 'detached', timeout: 5_000 });
  await h.shot('export-no-repository');
  await toast.locator('.monaco-button', { hasText: 'Save as Patch…' }).click();
  const target = path.join(h.workspace, 'task.patch');
  await page.waitForFunction(() => /\.patch$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''));
  await input.fill(target);
  await page.keyboard.press('Enter');
  await page.locator('.notifications-toasts .notification-toast', { hasText: 'Saved the changes' }).waitFor({ timeout: 15_000 });
  assert.match(fs.readFileSync(target, 'utf8'), /^diff --git a\/notes\.txt b\/notes\.txt$/m);
});

test('a follow-up while the agent works is queued, then both replies arrive', { timeout: 90_000 }, async () => {
  const box = wv().locator('[data-testid="message"] textarea');
  await box.fill('sleep 3 then report');
  await wv().locator('[data-testid="send"]').click();
  await kindIs('working');
  await wv().locator('[data-testid="thinking"]').waitFor();
  await box.fill('create summary.md with All done');
  await wv().locator('[data-testid="send"]', { hasText: 'Queue' }).waitFor();
  await h.shot('working-queue');
  await wv().locator('[data-testid="send"]').click();
  await wv().locator('[data-testid="send-note"]', { hasText: 'Queued' }).waitFor({ timeout: 10_000 });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Slept for 3 seconds' }).waitFor({ timeout: 30_000 });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created summary.md' }).waitFor({ timeout: 30_000 });
  await kindIs('idle');
  await h.shot('follow-up-replies');
});

test('a permission question: needs input in the list, a notification whose Open task link opens it, the answer', { timeout: 90_000 }, async () => {
  await wv().locator('[data-testid="message"] textarea').fill('delete notes.txt');
  await wv().locator('[data-testid="send"]').click();
  const toast = toastWith('needs your input');
  await toast.waitFor({ timeout: 30_000 });
  await wv().locator('[data-testid="back"]').click();
  const row = wv().locator('[data-testid="task-row"][data-kind="needs_input"]');
  await row.waitFor();
  assert.match(await row.textContent(), /Needs input/);
  await h.page.locator('.statusbar-item', { hasText: '1' }).first().waitFor();
  await h.shot('needs-input-list-and-toast');
  assert.equal(await toast.count(), 1, 'one toast for the task');
  await toast.locator('.notification-list-item-message a', { hasText: 'Open task' }).click();
  await wv().locator('[data-testid="needs-input"]').waitFor({ timeout: 10_000 });
  // the user opened the task: its toast is withdrawn although the question is still open
  await toast.waitFor({ state: 'detached', timeout: 10_000 });
  await wv().locator('[data-testid="toggle-screen"]').click();
  await wv().locator('[data-testid="screen"] pre', { hasText: 'Permission request' }).waitFor({ timeout: 10_000 });
  await h.shot('needs-input-detail-screen');
  await wv().locator('[data-testid="message"] textarea').fill('1');
  await wv().locator('[data-testid="send"]').click();
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Deleted notes.txt' }).waitFor({ timeout: 30_000 });
  // the live screen follows the conversation without a timer
  await wv().locator('[data-testid="screen"] pre', { hasText: 'Deleted notes.txt' }).waitFor({ timeout: 10_000 });
  await kindIs('idle');
  await wv().locator('[data-testid="toggle-screen"]').click();
  await wv().locator('[data-testid="screen"]').waitFor({ state: 'detached' });
});

test('Attach Terminal shows the agent\'s live screen; typed keys reach its terminal', { timeout: 60_000 }, async () => {
  const { page } = h;
  await h.palette('Taskyard: Attach Terminal');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Create notes.txt' }).first().waitFor();
  await page.keyboard.press('Enter');
  const rows = page.locator('.terminal-wrapper .xterm-rows');
  await rows.filter({ hasText: 'Deleted notes.txt' }).waitFor({ timeout: 15_000 });
  await page.locator('.terminal-wrapper .xterm').click();
  // raw keys: the agent's own input line echoes them before Enter submits
  await page.keyboard.type('create extra.txt with from the terminal');
  await rows.filter({ hasText: 'create extra.txt with from the terminal' }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await rows.filter({ hasText: 'Created extra.txt' }).waitFor({ timeout: 30_000 });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created extra.txt' }).waitFor({ timeout: 10_000 });
  await kindIs('idle');
  await h.shot('attached-terminal');
  await h.palette('View: Hide Panel');
});

test('pause shows the snapshot banner; resume brings the live conversation back', { timeout: 90_000 }, async () => {
  const before = await wv().locator('[data-testid="chat"] .msg').count();
  await wv().locator('[data-testid="pause"]').click();
  await kindIs('paused');
  await wv().locator('[data-testid="snapshot-time"]').waitFor({ timeout: 15_000 });
  assert.match(await wv().locator('[data-testid="paused-banner"]').textContent(), /snapshot from \d\d:\d\d/);
  assert.equal(await wv().locator('[data-testid="chat"] .msg').count(), before);
  assert.equal(await wv().locator('[data-testid="send"]').textContent(), 'Resume and send');
  await h.shot('paused-snapshot');
  await wv().locator('[data-testid="paused-banner"] [data-testid="resume"]').click();
  await kindIs('idle', 60_000);
  await wv().locator('[data-testid="paused-banner"]').waitFor({ state: 'detached' });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created summary.md' }).waitFor();
  await h.shot('resumed');
});

test('a needs-input toast disappears once the question is answered in the panel', { timeout: 90_000 }, async () => {
  const { page } = h;
  // after the resume the demo agent runs a new session: its limit of 3 changed files starts over
  const box = wv().locator('[data-testid="message"] textarea');
  await box.fill('create perm.txt with hi, ask permission first');
  await wv().locator('[data-testid="send"]').click();
  const toast = toastWith('needs your input');
  await toast.waitFor({ timeout: 30_000 });
  await kindIs('needs_input');
  const text = (await toast.locator('.notification-list-item-message').textContent()).trim();
  console.log(`needs-input toast: ${text}`);
  assert.match(text, /^Task ".+" needs your input/);
  assert.match(text, /Open task$/);
  await toast.locator('.monaco-button', { hasText: 'Cancel' }).waitFor();  // closes the toast only
  // Negative control: the toast stays while the question is open (it is withdrawn, never timed out).
  await page.waitForTimeout(3000);
  assert.equal(await toast.count(), 1, 'the toast is still there before the answer');
  await kindIs('needs_input', 1000);
  await h.shot('needs-input-toast');
  await box.fill('1');  // "1. Yes" in the demo agent's permission dialog
  await wv().locator('[data-testid="send"]').click();
  await toast.waitFor({ state: 'detached', timeout: 15_000 });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created perm.txt' }).waitFor({ timeout: 30_000 });
  await kindIs('idle');
  await h.shot('answered-toast-gone');
  // withdrawn, not tucked away: the notification center holds no needs-input notification either
  await h.palette('Notifications: Show Notifications');
  await page.locator('.notifications-center.visible').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('.notifications-center .notification-list-item', { hasText: 'needs your input' }).count(), 0);
  await h.shot('notification-center');
  await h.palette('Notifications: Hide Notifications');
  await page.locator('.notifications-center.visible').waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
});

test('Resume and send on a paused task: the sidecar resumes it, the message arrives, the agent replies', { timeout: 120_000 }, async () => {
  await wv().locator('[data-testid="pause"]').click();
  await kindIs('paused');
  await wv().locator('[data-testid="snapshot-time"]').waitFor({ timeout: 15_000 });
  const box = wv().locator('[data-testid="message"] textarea');
  assert.match(await box.getAttribute('placeholder'), /Sending resumes the task first/);
  await box.fill('create resumed.txt with back again');
  const send = wv().locator('[data-testid="send"]');
  assert.equal((await send.textContent()).trim(), 'Resume and send');
  // the sidecar offers send for a paused task: the button is enabled (it used to be greyed out)
  assert.equal(await send.getAttribute('disabled'), null, 'Resume and send is enabled');
  await h.shot('paused-resume-and-send');
  const seen = await recordKinds();
  await send.click();
  await wv().locator('[data-testid="send-note"]', { hasText: 'Resuming the task' }).waitFor({ timeout: 10_000 });
  await wv().locator('[data-testid="msg-agent"]', { hasText: 'Created resumed.txt' }).waitFor({ timeout: 90_000 });
  await kindIs('idle', 30_000);
  await wv().locator('[data-testid="paused-banner"]').waitFor({ state: 'detached' });
  assert.match(await wv().locator('[data-testid="msg-user"]').last().textContent(), /create resumed\.txt with back again/);
  assert.equal((await wv().locator('[data-testid="detail-status"]').textContent()).trim(), 'Idle');
  await wv().locator('[data-testid="send-error"]').waitFor({ state: 'detached', timeout: 1000 });
  const kinds = await seen();
  console.log(`display kinds seen: ${kinds.join(' → ')}`);
  assert.ok(kinds.indexOf('starting') >= 0, `the task is seen resuming: ${kinds}`);
  assert.equal(kinds.at(-1), 'idle');
  assert.equal(await send.textContent().then((t) => t.trim()), 'Send');
  await h.shot('resumed-and-sent');
});

test('Download Task Logs from the palette: format pick, save dialog, Open File', { timeout: 90_000 }, async () => {
  const { page } = h;
  await h.palette('Taskyard: Download Task Logs');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Create notes.txt' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Markdown transcript' }).click();
  // code-server uses VS Code's simple file dialog: a quick input holding the path
  const target = path.join(h.workspace, 'task-logs.md');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await page.waitForFunction(() => /\.md$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''));
  await h.shot('save-dialog');
  await input.fill(target);
  await page.keyboard.press('Enter');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Saved the logs' });
  await toast.waitFor({ timeout: 15_000 });
  await toast.locator('.monaco-button', { hasText: 'Open File' }).click();
  await page.locator('.tabs-container .tab', { hasText: 'task-logs.md' }).waitFor({ timeout: 15_000 });
  const content = fs.readFileSync(target, 'utf8');
  assert.match(content, /^# /);
  assert.match(content, /Created notes\.txt/);
  await h.shot('logs-opened');
});

test('delete from the panel menu asks in a modal; keeping the work folder says where it is', { timeout: 60_000 }, async () => {
  const { page } = h;
  await wv().locator('[data-testid="detail"] [data-testid="task-menu"]').click();
  await wv().locator('vscode-context-menu-item', { hasText: 'Delete' }).click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 10_000 });
  assert.match(await dialog.textContent(), /Delete task "Create notes\.txt/);
  await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).waitFor();
  await h.shot('delete-confirm');
  await dialog.locator('.monaco-button', { hasText: 'Delete, Keep Work Folder' }).click();
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'deleted' });
  await toast.waitFor({ timeout: 15_000 });
  const message = await toast.locator('.notification-list-item-message').textContent();
  const kept = /work folder was kept at (\S+)\.$/.exec(message.trim());
  assert.ok(kept, `the toast says where: ${message}`);
  for (const f of ['summary.md', 'perm.txt', 'resumed.txt']) {
    assert.ok(fs.existsSync(path.join(kept[1], f)), `the agent's ${f} is in ${kept[1]}`);
  }
  await wv().locator('[data-testid="no-tasks"]').waitFor({ timeout: 15_000 });
  await h.shot('deleted');
  assert.deepEqual(h.problems, [], 'no Content Security Policy violations');
});

test('a template added on disk appears live; its failing setup shows the error banner', { timeout: 90_000 }, async () => {
  const folder = path.join(h.workspace, '.taskyard', 'templates');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'broken-setup.toml'), [
    'display_name = "Broken setup"',
    'description = "A workspace whose setup script fails."',
    '[agent]', 'type = "demo"',
    '[workspace]', 'provider = "local"', 'repo = "none"', 'setup_script = "echo preparing; exit 3"', '',
  ].join('\n'));
  // taskyard/templates/didChange: the picker gets the new template without a reload
  await wv().locator('[data-testid="template"] vscode-option[value="broken-setup"]').waitFor({ state: 'attached', timeout: 30_000 });
  await wv().locator('[data-testid="template"]').evaluate((el) => {
    el.value = 'broken-setup';
    el.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await wv().locator('[data-testid="parameters"]').waitFor({ state: 'detached' });
  await wv().locator('[data-testid="prompt"] textarea').fill('create never.txt with nothing');
  await wv().locator('[data-testid="prompt"] textarea').press('Control+Enter');
  await kindIs('error', 60_000);
  const banner = wv().locator('[data-testid="error-banner"]');
  assert.match(await banner.textContent(), /setup script exited with code 3/);
  await wv().locator('[data-testid="startup-log"]').first().waitFor({ state: 'attached' });
  await h.shot('error-banner');
});
