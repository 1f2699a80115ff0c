"""A terminal agent that hangs at first: it draws its prompt, then swallows every key without a
sign of life until the file named by ``WAKE`` exists; after that it echoes what it is typed and
answers each line with ``ok: <line>``. The bridge's delivery tests run it as a ``custom`` agent
to see a message survive an agent that did not take it."""

import os
import select
import sys
import termios
import tty

WAKE = os.environ["WAKE"]


def main() -> None:
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    tty.setraw(fd)
    out = sys.stdout
    out.write("stalling agent ready\r\n> ")
    out.flush()
    line = ""
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(fd, 1024).decode(errors="replace")
            if not os.path.exists(WAKE):
                continue  # hung: the keys are lost, nothing moves on screen
            for char in data:
                if char in "\r\n":
                    out.write(f"\r\nok: {line}\r\n> ")
                    line = ""
                elif char == "\x03":
                    return
                else:
                    line += char
                    out.write(char)
            out.flush()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


main()
