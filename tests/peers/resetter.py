# Resets connections on demand, for the storm tests: for each line of
# hex on stdin it connects to argv[1], sends those bytes (none for an empty
# line), then closes with SO_LINGER 0, which sends RST; then prints "done".
import socket
import struct
import sys
from peer_address import address

target = address('127.0.0.1:8080')
for line in sys.stdin:
    s = socket.create_connection(target)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    data = bytes.fromhex(line.strip())
    if data:
        s.sendall(data)
    s.close()
    print('done', flush=True)
