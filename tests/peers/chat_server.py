# The tutorial's chat_server.py as a test peer: address from argv[1],
# readiness line on stderr, and the process ends when the client has gone
# (the listing prints empty messages forever at 100 % CPU, tens of MB a
# second, which would swamp the tests). Otherwise the listing as published,
# `resave.join()` NameError included.
import os
import socket
import threading
import time
from peer_address import address, announce_listening
host,port=address(socket.gethostname()+':12345')
s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
s.bind((host,port))
s.listen(5)
announce_listening(s)
sock,addr=s.accept()
print('连接已经建立')
class read(threading.Thread):
    def run(self):
        while True:
            recvData =sock.recv(2014).decode()
            if not recvData:
                os._exit(0)
            print('接收到的数据为:', recvData)
        s.close()

class write(threading.Thread):
    def run(self):
        while True:
            send_data = input('请输入要发送的数据:')
            sock.send(send_data.encode())
            if send_data == 0:
                break
        sock.close()

if __name__ == '__main__':
    read =read()
    write = write()
    read.start()
    write.start()
    resave.join()
    read.join()
    write.join()
