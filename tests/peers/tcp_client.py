# The tutorial's tcp_client.py as a test peer: address from argv[1], and one
# socket `s` (the listing creates `web` but connects the undefined `s`).
import  socket					#导入socket模块
from peer_address import address
host,port=address('127.0.0.1:8080')
s=socket.socket()				#创建socket对象
s.connect((host,port))			#主动初始化TCP连接
send_data=input("请输入要发送的数据")
s.send(send_data.encode())
#接收对方发送过来的数据,最大接收1024个字节
recvData=s.recv(1024).decode()
print('接收到的数据为:',recvData)
s.close()						#关闭套接字
