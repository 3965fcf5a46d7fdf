# Runs the Python script named by the first argument as `python3
# script.py` would, but with stdout line-buffered as in the terminal a
# reader runs it in (to a pipe Python holds prints back in 8 KiB blocks,
# so the chat would never show its lines; PYTHONUNBUFFERED would write
# each `print` in two pieces, which no terminal does). Rust's stdout is
# line-buffered everywhere, so both sides write each line once.
import os, sys
sys.stdout.reconfigure(line_buffering=True)
del sys.argv[0]
path = sys.argv[0]
sys.path[0] = os.path.dirname(path)
with open(path, encoding='utf-8') as script:
    code = compile(script.read(), path, 'exec')
exec(code, {'__name__': '__main__', '__file__': path, '__builtins__': __builtins__})
