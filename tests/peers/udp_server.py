# The tutorial's udp_server.py as a test peer: address from argv[1],
# readiness line on stderr; otherwise the listing as published.
import socket
from peer_address import address, announce_listening
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind(address('127.0.0.1:8888'))
announce_listening(s)
print('绑定UDP到8888端口')
data,addr=s.recvfrom(1024)
data=float(data)*1.8+32
send_data='转换后的温度(单位:华氏温度):'+str(data)
print('Recrived from %s:%s.'%addr)
s.sendto(send_data.encode(),addr)				#encode()将字符串类型转byte
s.close()
