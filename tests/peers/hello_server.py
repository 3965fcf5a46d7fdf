# The tutorial's hello_server.py as a test peer: address from argv[1],
# readiness line on stderr; otherwise the listing as published.
import  socket					#导入socket模块
from peer_address import address, announce_listening
host,port=address('127.0.0.1:8080')
web=socket.socket()				#创建socket对象
web.bind((host,port))			#绑定端口
web.listen(5)					#设置最多连接数
announce_listening(web)
print('服务器等待客户端连接...')
while True:
    conn,addr=web.accept()		#建立客户端连接
    data=conn.recv(1024)		#获取客户端请求数据
    print(data)					#打印接受到的数据
    conn.sendall(b'HTTP/1.1 200 OK\r\n\r\nhello world')		#向客户端发送数据
    conn.close()				#关闭连接
web.close()
