module tsgi.bench/go-fcgi

go 1.19
