/**
 * The "Attach Terminal" view: the agent's screen drawn into a VS Code pseudoterminal, with a
 * line editor under it. Typed lines go to the agent as messages (`taskyard/tasks/send`, queued
 * while it works); Escape or Ctrl+C interrupt it.
 */

import type { TasksScreenResult } from "../protocol/generated";

const ESC = "\x1b";
const CLEAR_EOL = `${ESC}[K`;
const DIM = `${ESC}[2m`;
const RESET = `${ESC}[0m`;

/** The agent screen's rows that fit above the three lines of our own, blank ones at the end dropped. */
export function visibleRows(screen: string, height: number | undefined): string[] {
  const rows = screen.split("\n");
  while (rows.length && !rows.at(-1)!.trim()) rows.pop();
  if (height === undefined) return rows;
  return rows.slice(Math.max(0, rows.length - Math.max(1, height - 3)));
}

/**
 * The whole frame: home, each row cleared to its end, the input line, the rest erased. With
 * the terminal's height, only the screen's last rows are drawn so nothing scrolls away.
 */
export function renderFrame(screen: TasksScreenResult | null, status: string, input: string, height?: number): string {
  const rows = screen ? visibleRows(screen.screen, height) : [];
  const width = screen?.columns ?? 80;
  const out: string[] = [`${ESC}[H`];
  for (const row of rows) out.push(row + CLEAR_EOL + "\r\n");
  out.push(`${DIM}${"─".repeat(Math.min(width, 120))}${RESET}${CLEAR_EOL}\r\n`);
  out.push(`${DIM}${status}${RESET}${CLEAR_EOL}\r\n`);
  out.push(`› ${input}${CLEAR_EOL}${ESC}[J`);
  return out.join("");
}

export type EditorEvent = { kind: "submit"; line: string } | { kind: "interrupt" };

/** Line editing over the raw keystrokes a pseudoterminal receives. */
export class LineEditor {
  line = "";

  feed(data: string): EditorEvent[] {
    const events: EditorEvent[] = [];
    for (let i = 0; i < data.length; i++) {
      const ch = data[i]!;
      if (ch === ESC) {
        // A bare Escape interrupts; an escape sequence (arrows, function keys) is skipped.
        const seq = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|O.)/.exec(data.slice(i));
        if (seq) i += seq[0].length - 1;
        else events.push({ kind: "interrupt" });
      } else if (ch === "\x03") {
        events.push({ kind: "interrupt" });
      } else if (ch === "\r" || ch === "\n") {
        if (ch === "\n" && data[i - 1] === "\r") continue;
        if (this.line.trim()) events.push({ kind: "submit", line: this.line });
        this.line = "";
      } else if (ch === "\x7f" || ch === "\b") {
        this.line = [...this.line].slice(0, -1).join("");
      } else if (ch === "\x15") {
        this.line = "";
      } else if (ch >= " ") {
        this.line += ch;
      }
    }
    return events;
  }
}
