# Posts argv[2] bytes of b'x' to the URL argv[1] with urllib, as a reader
# uploading a file would, and prints the reply's body. urllib sends the whole
# body before it reads the reply: a server that closes with unread input
# makes this fail with "Broken pipe" or "Connection reset by peer".
import sys
import urllib.request

url, size = sys.argv[1], int(sys.argv[2])
print(urllib.request.urlopen(url, data=b'x' * size, timeout=30).read())
