// The environ of a FastCGI `GET path` behind nginx with tsgi's nginx/tsgi_params (SCRIPT_NAME "",
// PATH_INFO the path), as the FastCGI front-end builds it: the input of the in-process adapter
// benchmarks (adapters-node.mjs, adapters-fetch.mjs), which skip the wire.

import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { buildEnviron } = await import(pathToFileURL(join(ROOT, "dist/index.js")).href);

const errors = { write() {}, flush() {} };
const signal = new AbortController().signal;

function nginxParams(path) {
  return {
    QUERY_STRING: "",
    REQUEST_METHOD: "GET",
    CONTENT_TYPE: "",
    CONTENT_LENGTH: "",
    SCRIPT_NAME: "",
    PATH_INFO: path,
    REQUEST_URI: path,
    DOCUMENT_URI: path,
    DOCUMENT_ROOT: "/usr/share/nginx/html",
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_SCHEME: "http",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_SOFTWARE: "nginx/1.22.1",
    REMOTE_ADDR: "127.0.0.1",
    REMOTE_PORT: "51234",
    SERVER_ADDR: "127.0.0.1",
    SERVER_PORT: "8080",
    SERVER_NAME: "localhost",
    HTTP_HOST: "127.0.0.1:8080",
    HTTP_USER_AGENT: "wrk",
  };
}

/** A fresh environ for `GET path`, no body, errors dropped, a signal nobody aborts. */
export function environFor(path = "/") {
  return buildEnviron(nginxParams(path), {
    source: null,
    bodyWithoutLength: "until-end",
    errors,
    signal,
    multithread: false,
    multiprocess: true,
    runOnce: false,
  });
}

/** A sink that drops everything, counting nothing. */
export const nullSink = { commit() {}, write() {}, end() {}, abort() {} };
