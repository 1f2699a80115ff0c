/**
 * The "Attach Terminal" view: the agent's screen drawn into a VS Code pseudoterminal, with a
 * status line under it. What the user types goes to the agent's terminal as raw keys
 * (`taskyard/tasks/keys`): Enter, Escape, Ctrl+C and arrows mean to the agent what they mean in
 * its own terminal. Keys typed while a request is in flight are sent together, in order.
 */

import type { TasksScreenResult } from "../protocol/generated";

const ESC = "\x1b";
const CLEAR_EOL = `${ESC}[K`;
const DIM = `${ESC}[2m`;
const RESET = `${ESC}[0m`;
/** The screen text carries no cursor position, so ours would only sit in the wrong place. */
const HIDE_CURSOR = `${ESC}[?25l`;

/** Most characters one `taskyard/tasks/keys` request carries (a long paste becomes several). */
export const MAX_KEYS = 4096;

/** An escape sequence at the start of a string: CSI (arrows, bracketed paste marks) or SS3. */
const ESCAPE_SEQUENCE = /^\x1b(\[[0-9;?<=>]*[ -/]*[@-~]|O.)/;

/** The agent screen's rows that fit above our two lines, blank ones at the end dropped. */
export function visibleRows(screen: string, height: number | undefined): string[] {
  const rows = screen.split("\n");
  while (rows.length && !rows.at(-1)!.trim()) rows.pop();
  if (height === undefined) return rows;
  return rows.slice(Math.max(0, rows.length - Math.max(1, height - 2)));
}

/**
 * The whole frame: home, each row cleared to its end, a rule and the status line, the rest
 * erased. With the terminal's size, only the screen's last rows are drawn and the status line
 * is cut to one row, so nothing scrolls away.
 */
export function renderFrame(screen: TasksScreenResult | null, status: string, height?: number, columns?: number): string {
  const rows = screen ? visibleRows(screen.screen, height) : [];
  const width = Math.min(screen?.columns ?? 80, columns ?? Infinity, 120);
  const line = columns !== undefined && status.length >= columns ? `${status.slice(0, Math.max(0, columns - 2))}…` : status;
  const out: string[] = [`${HIDE_CURSOR}${ESC}[H`];
  for (const row of rows) out.push(row + CLEAR_EOL + "\r\n");
  out.push(`${DIM}${"─".repeat(width)}${RESET}${CLEAR_EOL}\r\n`);
  out.push(`${DIM}${line}${RESET}${CLEAR_EOL}${ESC}[J`);
  return out.join("");
}

/**
 * Splits typed data into a first request's worth and the rest, never inside an escape
 * sequence or a surrogate pair (the agent would read half a key).
 */
export function takeKeys(data: string, max = MAX_KEYS): [string, string] {
  if (data.length <= max) return [data, ""];
  let cut = max;
  const code = data.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  const esc = data.lastIndexOf(ESC, cut - 1);
  if (esc > 0 && cut - esc < 32) {
    const seq = ESCAPE_SEQUENCE.exec(data.slice(esc));
    if (esc + (seq ? seq[0].length : 1) > cut) cut = esc;
  }
  return [data.slice(0, cut), data.slice(cut)];
}

/**
 * Sends keystrokes one request at a time, in order. Keys typed while a request is in flight
 * wait and go together in the next one. A failed request drops what was waiting (typing into
 * an agent that is gone must not replay later) and reports it.
 */
export class KeyQueue {
  private waiting = "";
  private sending = false;

  constructor(
    private readonly send: (data: string) => Promise<unknown>,
    private readonly onError: (error: unknown, dropped: string) => void,
    private readonly onSent: () => void = () => undefined,
    private readonly max = MAX_KEYS,
  ) {}

  get busy(): boolean {
    return this.sending;
  }

  push(data: string): void {
    if (!data) return;
    this.waiting += data;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.waiting) {
        const [chunk, rest] = takeKeys(this.waiting, this.max);
        this.waiting = rest;
        try {
          await this.send(chunk);
          this.onSent();
        } catch (e) {
          const dropped = chunk + this.waiting;
          this.waiting = "";
          this.onError(e, dropped);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
