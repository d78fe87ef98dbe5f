import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    cgi: "src/cgi.ts",
    fastcgi: "src/fastcgi.ts",
    http: "src/http.ts",
    testing: "src/testing.ts",
    "cli/main": "src/cli/main.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  splitting: true,
  sourcemap: false,
  clean: false, // several test runs may build at once; a clean would pull dist from under them
  target: "node20",
  platform: "node",
  // Why: a CGI process starts for every request, so each entry must pull in only what it uses.
  treeshake: true,
});
