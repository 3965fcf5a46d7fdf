# The tutorial's udp_client.py as a test peer: the server's address from
# argv[1]; otherwise the listing as published.
import socket
from peer_address import address
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
data=input('请输入要转换的温度(单位:摄氏度):')
s.sendto(data.encode(),address('127.0.0.1:8888'))
print(s.recv(1024).decode())
s.close()
