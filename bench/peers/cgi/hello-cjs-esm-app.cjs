#!/usr/bin/env node
// CommonJS entry (dist/cgi.cjs) with the ES module app examples/hello.mjs loaded by import(),
// as cgi-bin/echo and cgi-bin/app do: measures what the ES module loader adds.
"use strict";
require("../../../dist/cgi.cjs").runCgiModule(() => import("../../../examples/hello.mjs"));
