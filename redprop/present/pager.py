"""A listing longer than the screen goes through a pager, as git does.

On a terminal, what a command prints for people is held until it is longer than the screen;
then the pager starts — `$PAGER`, else `less`, with `LESS=FRX` when `LESS` is unset (quit at
once if it all fits, colours shown as they are, the screen left as it was) — and the rest
streams into it. redprop waits for the pager to quit; a person who has read enough presses q
and redprop stops drawing there. Output that fits on the screen goes to the terminal as it is,
and no pager starts. Never for a pipe or a file, never for JSON or CSV (the application hands
those stdout itself), not with `--no-pager`, not when `PAGER` is empty or `cat`.
"""

import os
import sys

SHELL_WORDS = set("|&;<>()$`\\\"' \t*?[#~=%")  # a pager given with these runs through the shell, as git's


def pager_command(environ) -> tuple[list[str], dict] | None:
    """The pager to run and its environment, or None for none (as git reads `PAGER`)."""
    pager = environ.get("PAGER")
    pager = "less" if pager is None else pager.strip()
    if not pager or pager == "cat":
        return None
    env = dict(environ)
    env.setdefault("LESS", "FRX")
    if SHELL_WORDS.intersection(pager):  # `less -S`, `more | cat`: through the shell
        return ["/bin/sh", "-c", pager], env
    return [pager], env


class Screen:
    """stdout for people on a terminal: held until longer than the screen, then paged.

    A text stream as Output (and Rich) use one: `write`, `flush`, `isatty`, `encoding`."""

    def __init__(self, terminal, command: tuple[list[str], dict] | None, rows: int):
        self.terminal = terminal  # the real stdout
        self.command = command  # None: the pager is off, or gone
        self.rows = rows
        self.encoding, self.errors = terminal.encoding, terminal.errors
        self.held: list[str] = []
        self.lines = 0
        self.process = None
        self.stream = None  # into the pager, once it runs

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.terminal.fileno()

    def write(self, text: str) -> int:
        if self.stream is not None:
            return self.stream.write(text)
        if self.command is None:
            return self.terminal.write(text)
        self.held.append(text)
        self.lines += text.count("\n")  # lines for people on a terminal are never wider than it
        if self.lines >= self.rows:  # it will not fit with the shell's prompt under it
            self._page()
        return len(text)

    def fits(self, lines: int) -> bool:
        """Whether `lines` more lines would still show without the pager."""
        return self.stream is None and self.lines + lines < self.rows

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()
        elif self.command is None:
            self.terminal.flush()

    def _page(self) -> None:
        """Start the pager and hand it what was held; without one (not installed), the terminal."""
        import io
        import subprocess

        argv, env = self.command
        held, self.held = "".join(self.held), []
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
        except OSError:
            self.command = None
            self.terminal.write(held)
            return
        self.stream = io.TextIOWrapper(self.process.stdin, encoding=self.encoding, errors=self.errors)
        self.stream.write(held)
        self.stream.flush()  # the first screen at once

    def close(self) -> None:
        """The command is done (or asks something next): what was held to the terminal, or the
        pager's input closed and the pager waited for — the person reads, then quits it."""
        self.command = None
        if self.stream is not None:
            stream, self.stream = self.stream, None
            try:
                stream.close()
            except OSError:  # the person quit the pager before the end (q): nothing more to show
                pass
            self.process.wait()
        elif self.held:
            held, self.held = "".join(self.held), []
            self.terminal.write(held)
            self.terminal.flush()


def screen(terminal=None, environ=None) -> Screen | None:
    """The paging stdout of this terminal, or None when stdout is not a terminal."""
    terminal = terminal or sys.stdout
    if not terminal.isatty():
        return None
    import shutil

    return Screen(terminal, pager_command(os.environ if environ is None else environ),
                  shutil.get_terminal_size((100, 24)).lines)
