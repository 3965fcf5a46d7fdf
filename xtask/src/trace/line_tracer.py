# Runs the Python program named by the first argument (the rest are its
# arguments) and marks each of its lines with a system call of its own: a
# stat of `/@py-line/<n>` (which fails) before line n runs, and of
# `/@py-line/exit` at the end, so that `cargo xtask trace` can put each
# call under the line that made it. (trace passes it to `python -c`
# without these comment lines.)
import os, runpy, sys, threading
target = os.path.abspath(sys.argv[1])
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(target)
sys.stdout.reconfigure(line_buffering=True)
def mark(line):
    try:
        os.stat('/@py-line/' + line)
    except OSError:
        pass
def lines(frame, event, arg):
    if event == 'line':
        mark(str(frame.f_lineno))
    return lines
def calls(frame, event, arg):
    return lines if frame.f_code.co_filename == target else None
threading.settrace(calls)
sys.settrace(calls)
try:
    runpy.run_path(target, run_name='__main__')
finally:
    sys.settrace(None)
    mark('exit')
