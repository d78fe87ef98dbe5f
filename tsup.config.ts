import { defineConfig, type Options } from "tsup";

const common: Options = {
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: false,
  // Several test runs may build at once; a clean would pull dist/ from under them.
  clean: false,
  target: "node20",
  platform: "node",
  treeshake: true,
};

export default defineConfig([
  {
    ...common,
    entry: {
      index: "src/index.ts",
      fastcgi: "src/fastcgi.ts",
      http: "src/http.ts",
      testing: "src/testing.ts",
      // What runCgiModule loads for an Express/Koa/Fastify/fetch app, and only for one: the
      // adapters alone, not the whole of "tsgi" (src/cgi.ts, bench/cgi-startup.mjs).
      adapt: "src/adapt.ts",
      "cli/main": "src/cli/main.ts",
    },
    splitting: true,
  },
  {
    ...common,
    // A CGI process starts for every request: one self-contained file loads ~1 ms faster than an
    // entry plus shared chunks (bench/cgi-startup.mjs). Its copy of the core means `instanceof`
    // across tsgi and tsgi/cgi fails; compare errors by `.code`.
    entry: { cgi: "src/cgi.ts" },
    splitting: false,
  },
]);
