// mocha --require hook for acceptance/run.mjs: where a third-party suite loads the app it tests,
// it gets the app served through tsgi instead (supertest takes a URL string, or a server whose
// address() names the port). TSGI_ACCEPT_MAP names a JSON file: app file -> URL.
const Module = require("node:module");
const path = require("node:path");
const fs = require("node:fs");

const map = JSON.parse(fs.readFileSync(process.env.TSGI_ACCEPT_MAP, "utf8"));
const load = Module._load;

function urlFor(file) {
  const url = map[file] ?? map[path.join(file, "index.js")];
  if (!url) throw new Error(`acceptance: no tsgi backend for ${file}`);
  return url;
}

Module._load = function (request, parent, ...rest) {
  const from = parent?.filename ?? "";
  // Express: test/acceptance/X.js does require('../../examples/X') and passes it to supertest.
  if (/[\\/]test[\\/]acceptance[\\/]/.test(from) && request.includes("examples/")) {
    return urlFor(path.resolve(path.dirname(from), request));
  }
  // koajs/examples: X/test.js does require('./app').listen() and hands the server to supertest.
  if (/[\\/]test\.js$/.test(from) && request === "./app") {
    const port = Number(new URL(urlFor(path.join(path.dirname(from), "app.js"))).port);
    const server = {
      address: () => ({ address: "127.0.0.1", family: "IPv4", port }),
      close: (callback) => callback?.(),
    };
    return { listen: () => server };
  }
  return load.call(this, request, parent, ...rest);
};
