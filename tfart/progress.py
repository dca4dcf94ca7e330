"""A progress line on stderr: a bar redrawn in place on a terminal, plain lines anywhere else.

Keras's Progbar writes carriage returns and escape codes even into pipes and log files; this one
checks whether stderr is a terminal. In a log it prints the first step, about `lines` more plain
lines per run, and one at least every minute:

    fit 40/200  loss 0.0421  3.2 s, about 13 s left

The time left is estimated from the units after the first one of a run (or of a resumed run),
which traces the step and can take longer than all the others together.
"""
import shutil
import sys
import time


def _number(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 100 else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Progress of `total` units of work; `update(done, values)` after each, `close()` at the end."""

    def __init__(self, total, label="step", stream=None, lines=10, start=0, quiet_for=60.0):
        self.total, self.label, self.stream = int(total), label, stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = max(1, -(-self.total // lines))   # units between plain lines
        self.start, self.done = int(start), int(start)
        self.quiet_for = quiet_for  # at most this many seconds between plain lines
        self.started = self.last_draw = time.monotonic()
        self.first = None  # (time, units) when the first unit ended: it traces, so it is slow
        self.drawn = False

    def _line(self, values):
        elapsed = time.monotonic() - self.started
        text = f"{self.label} {self.done}/{self.total}"
        text += "".join(f"  {name} {_number(value)}" for name, value in values)
        text += f"  {_duration(elapsed)}"
        if self.first and self.first[1] < self.done < self.total:  # from the units after the first
            per_unit = (time.monotonic() - self.first[0]) / (self.done - self.first[1])
            text += f", about {_duration(per_unit * (self.total - self.done))} left"
        return text

    def update(self, done, values=()):
        """Record that `done` units are finished; values: (name, number) pairs to show."""
        self.done = int(done)
        if self.first is None and self.done > self.start:
            self.first = (time.monotonic(), self.done)
        finished = self.done >= self.total
        if self.live:
            now = time.monotonic()
            if finished or now - self.last_draw > 0.1:
                width = shutil.get_terminal_size().columns - 1
                filled = int(20 * self.done / max(1, self.total))
                bar = "[" + "=" * filled + " " * (20 - filled) + "] "
                line = (bar + self._line(values))[:width]
                self.stream.write("\r" + line.ljust(width))
                self.stream.flush()
                self.last_draw, self.drawn = now, True
        elif (finished or self.done % self.every == 0 or self.done == self.start + 1
              or time.monotonic() - self.last_draw > self.quiet_for):
            print(self._line(values), file=self.stream, flush=True)
            self.last_draw = time.monotonic()

    def close(self):
        """End the line on a terminal, so that whatever is printed next starts on its own."""
        if self.live and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
        self.drawn = False
