# The tutorial's chat_client.py as a test peer: the server's address from
# argv[1], and the process ends when the server has gone (the listing prints
# empty messages forever at 100 % CPU). Otherwise the listing as published.
import os
import socket
import threading
from peer_address import address
s=socket.socket()
host,port=address(socket.gethostname()+':12345')
s.connect((host,port))
print('已连接')

class read(threading.Thread):
    def run(self):
        while True:
            recvData = s.recv(2014).decode()
            if not recvData:
                os._exit(0)
            print('接收到的数据为:', recvData)

class write(threading.Thread):
    def run(self):
        while True:
            send_data = input('请输入要发送的数据:')
            s.send(send_data.encode())
            if send_data == 0:
                break
        s.close()

if __name__ == '__main__':
    read = read()
    write = write()
    write.start()
    read.start()
    read.join()
    write.join()
