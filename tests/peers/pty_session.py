# Not a listing: a person at a terminal, for the tests. Runs a program on a
# pseudo-terminal (stdin, stdout and stderr all the terminal, as when a
# student runs it), follows a script of steps at human pace, and reports
# what the terminal showed.
#
#   python3 pty_session.py [--relay-ready] [--guard SECONDS] STEP... -- PROGRAM [ARG...]
#   python3 pty_session.py --json [--relay-ready] -- PROGRAM [ARG...]   (steps as JSON on stdin)
#
# Steps, in order:
#   wait=TEXT     wait until TEXT has appeared on the terminal since the last wait
#   pause=SECONDS a person's pause before the next step (this pause IS the input)
#   type=LINE     type LINE and press Enter
#   eof           press Ctrl-D (the end of input on Linux and macOS)
#   exit          wait for the program to end (also done after the last step)
# JSON: a list of [step, value] pairs, e.g. [["wait", "请输入"], ["type", "hi"], ["eof", null]].
#
# --relay-ready copies the program's readiness line (`listening on <addr>`)
# to this driver's stderr at once, so a test knows where a server on the
# terminal listens. --guard is the hang guard (default 20 s): past it, the
# program is killed and the report says `timed-out`.
#
# The report on stdout, when done:
#   exit: <code, or -signal>\n
#   timed-out: <the step that was waiting, or nothing>\n
#   raw: <n>\n<the n bytes the terminal received>\n
#   screen:\n<the lines as the terminal shows them, each ending with \n>
# Std lib only; Linux and macOS.
import json
import os
import pty
import select
import signal
import sys
import time


def parse(argv):
    relay, guard, use_json, steps = False, 20.0, False, []
    while argv and argv[0] != '--':
        arg = argv.pop(0)
        if arg == '--relay-ready':
            relay = True
        elif arg == '--guard':
            guard = float(argv.pop(0))
        elif arg == '--json':
            use_json = True
        else:
            kind, _, value = arg.partition('=')
            steps.append([kind, value])
    if not argv or len(argv) < 2:
        sys.exit('usage: pty_session.py [--relay-ready] [--guard S] STEP... -- PROGRAM [ARG...]')
    if use_json:
        steps = json.load(sys.stdin)
    for kind, _ in steps:
        if kind not in ('wait', 'pause', 'type', 'eof', 'exit'):
            sys.exit('pty_session.py: unknown step %r' % kind)
    return relay, guard, steps, argv[1:]


class Terminal:
    """The controlling side of the pseudo-terminal and all it received."""

    def __init__(self, fd, deadline, relay):
        self.fd, self.deadline, self.relay = fd, deadline, relay
        self.raw = bytearray()
        self.seen = 0  # where the next wait starts looking
        self.closed = False
        self.relayed = False

    def pump(self, timeout):
        """Reads what arrives within timeout; False once the program's side is gone."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO on Linux: every holder of the terminal has gone
            chunk = b''
        if not chunk:
            self.closed = True
            return False
        self.raw += chunk
        if self.relay and not self.relayed:
            at = self.raw.find(b'listening on ')
            end = self.raw.find(b'\n', at)
            if at >= 0 and end >= 0:
                sys.stderr.write(self.raw[at:end].decode('utf-8', 'replace').rstrip('\r') + '\n')
                sys.stderr.flush()
                self.relayed = True
        return True

    def left(self):
        return self.deadline - time.monotonic()

    def wait_for(self, text):
        needle = text.encode()
        while True:
            at = self.raw.find(needle, self.seen)
            if at >= 0:
                self.seen = at + len(needle)
                return True
            if self.left() <= 0 or not self.pump(min(self.left(), 0.2)):
                return self.raw.find(needle, self.seen) >= 0

    def pause(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(end - time.monotonic())  # keep reading while the person waits

    def send(self, data):
        os.write(self.fd, data)


def render(raw):
    """The screen, as lines: enough of a terminal for what the programs write
    (text, \\r, \\n, backspace); escape sequences are dropped."""
    text = raw.decode('utf-8', 'replace')
    lines, row, col = [[]], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '\x1b':  # CSI ... final byte, or a two-byte escape
            i += 1
            if i < len(text) and text[i] == '[':
                i += 1
                while i < len(text) and not ('@' <= text[i] <= '~'):
                    i += 1
            i += 1
            continue
        if ch == '\r':
            col = 0
        elif ch == '\n':
            row += 1
            if row == len(lines):
                lines.append([])
        elif ch == '\b':
            col = max(0, col - 1)
        elif ch >= ' ' or ch == '\t':
            line = lines[row]
            while len(line) < col:
                line.append(' ')
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
        i += 1
    shown = [''.join(line) for line in lines]
    # The last line is only a line if something is on it: a terminal whose
    # output ended with a newline shows an empty line with the cursor.
    if shown and shown[-1] == '':
        shown.pop()
    return shown


def main():
    relay, guard, steps, program = parse(sys.argv[1:])
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(program[0], program)
        finally:
            os._exit(127)
    # Wide enough that no line of the tests wraps.
    try:
        import fcntl
        import struct
        import termios
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 200, 0, 0))
    except (ImportError, OSError):
        pass
    term = Terminal(fd, time.monotonic() + guard, relay)
    timed_out = ''
    for kind, value in steps + [['exit', None]]:
        if kind == 'wait':
            if not term.wait_for(value):
                timed_out = 'wait=%s' % value
                break
        elif kind == 'pause':
            term.pause(float(value))
        elif kind == 'type':
            term.send(value.encode() + b'\r')  # Enter, as a keyboard sends it
        elif kind == 'eof':
            term.send(b'\x04')  # Ctrl-D
        elif kind == 'exit':
            while term.left() > 0 and term.pump(min(term.left(), 0.2)):
                pass
            if not term.closed:
                timed_out = 'exit'
                break
    status = None
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    else:
        # The terminal closed; the program may still be finishing its exit.
        end = time.monotonic() + max(term.left(), 1.0)
        while status is None and time.monotonic() < end:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                status = None
                time.sleep(0.01)  # poll: waitpid has no timeout
        if status is None:
            os.kill(pid, signal.SIGKILL)
            timed_out = 'exit'
    if status is None:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status
    out = sys.stdout.buffer
    out.write(b'exit: %d\n' % code)
    out.write(b'timed-out: %s\n' % timed_out.encode())
    out.write(b'raw: %d\n' % len(term.raw) + bytes(term.raw) + b'\n')
    out.write(b'screen:\n')
    for line in render(bytes(term.raw)):
        out.write(line.encode() + b'\n')
    out.flush()


if __name__ == '__main__':
    main()
