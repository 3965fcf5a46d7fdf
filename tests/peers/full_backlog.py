# Not a listing: an address where connection attempts go unanswered, made
# on loopback. It listens with a backlog of 0 and never accepts; its own
# connections fill the accept queue, so the kernel drops every further SYN
# (as a firewall that drops packets does) and a client's connect waits.
# The readiness line is written once the queue is full.
import select
import socket
import sys
import time
from peer_address import address

host, port = address('127.0.0.1:0')
listener = socket.socket()
listener.bind((host, port))
listener.listen(0)
fillers = []
# The first connection completes into the queue, which is then full; the
# next ones stay half-open (their SYNs are dropped). Without blocking, so
# that they do not wait here.
for _ in range(3):
    filler = socket.socket()
    filler.setblocking(False)
    filler.connect_ex(listener.getsockname())
    fillers.append(filler)
    if len(fillers) == 1:
        select.select([], [filler], [], 5)  # the first is in the queue
print('listening on %s:%d' % listener.getsockname()[:2], file=sys.stderr, flush=True)
while True:
    time.sleep(3600)  # holds the sockets open until the test kills it
