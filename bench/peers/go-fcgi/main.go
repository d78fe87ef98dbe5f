// Go's net/http/fcgi peer: hello world, or ?size=N bytes streamed in 64 KiB writes.
// Usage: go-fcgi PORT
package main

import (
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"strconv"
)

var chunk = make([]byte, 64*1024)

func handler(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.Atoi(r.URL.Query().Get("size"))
	if err != nil {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, world!\n"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(size))
	for left := size; left > 0; left -= len(chunk) {
		n := len(chunk)
		if left < n {
			n = left
		}
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		panic(err)
	}
	panic(fcgi.Serve(ln, http.HandlerFunc(handler)))
}
