"""Address handling shared by the Python peers: `host:port` from argv, and
the readiness line in the Rust servers' format."""
import sys


def address(default):
    text = sys.argv[1] if len(sys.argv) > 1 else default
    host, _, port = text.rpartition(':')
    return host.strip('[]'), int(port)


def announce_listening(sock):
    host, port = sock.getsockname()[:2]
    shown = '[%s]' % host if ':' in host else host
    sys.stderr.write('listening on %s:%d\n' % (shown, port))
    sys.stderr.flush()
