# Connects to argv[1], sends argv[2] (may be empty), then resets the
# connection: SO_LINGER with a zero timeout makes close() send RST.
import socket
import struct
import sys
from peer_address import address

s = socket.create_connection(address('127.0.0.1:8080'))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
if len(sys.argv) > 2 and sys.argv[2]:
    s.sendall(sys.argv[2].encode())
s.close()
