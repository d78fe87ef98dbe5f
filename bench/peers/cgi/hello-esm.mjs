#!/usr/bin/env node
// The same hello world through the ES module entry (dist/cgi.js) and examples/hello.mjs, to
// compare with cgi-bin/hello (CommonJS, dist/cgi.cjs, app inline).
import { runWithCgi } from "../../../dist/cgi.js";
import hello from "../../../examples/hello.mjs";

runWithCgi(hello);
