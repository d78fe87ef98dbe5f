#!/usr/bin/env node
// Runs a framework's own acceptance suite against its example apps served through tsgi: each
// example behind nginx with `tsgi fcgi APP` (fcgi), under Apache mod_cgid with `tsgi cgi APP`
// (cgi), or on `tsgi serve APP` (serve). Not part of `npm test`: it needs the framework's repository and its devDependencies.
//
//   git clone --depth 1 https://github.com/expressjs/express /tmp/express && (cd /tmp/express && npm install)
//   git clone --depth 1 https://github.com/koajs/examples /tmp/koa-examples && (cd /tmp/koa-examples && npm install)
//   npm run build && node acceptance/run.mjs /tmp/express fcgi|cgi|serve [--grep TEXT]
//
// Express: examples/X with test/acceptance/X.js (mocha + supertest). koajs/examples: X/app.js with
// X/test.js. The suite runs unchanged; acceptance/hook.cjs hands it the URL instead of the app.
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const TSGI = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { grep: { type: "string" } },
});
const [root, mode = "fcgi"] = positionals;
if (!root || !["fcgi", "cgi", "serve"].includes(mode)) {
  console.error("usage: node acceptance/run.mjs CHECKOUT fcgi|cgi|serve [--grep TEXT]");
  process.exit(2);
}

const koa = existsSync(join(root, "hello-world", "test.js"));
const apps = koa ? koaApps(root) : expressApps(root);
const dir = mkdtempSync(join(tmpdir(), `tsgi-accept-${mode}-`));
chmodSync(dir, 0o755); // Apache's CGI children run as nobody
const children = [];
let code = 1;
try {
  const sites = [];
  for (const app of apps) sites.push({ app, port: await freePort(), upstream: await freePort() });
  if (mode === "fcgi") await startNginx(sites);
  else if (mode === "cgi") await startApache(sites);
  else await startServe(sites);
  const map = Object.fromEntries(sites.map((s) => [s.app, `http://127.0.0.1:${s.port}`]));
  writeFileSync(join(dir, "map.json"), JSON.stringify(map));
  const tests = koa
    ? ["--require", "should", ...apps.map((app) => join(dirname(app), "test.js"))]
    : ["--require", "test/support/env", "test/acceptance/"];
  const args = ["mocha", "--require", join(TSGI, "acceptance", "hook.cjs"), "--timeout", "10000"];
  if (values.grep) args.push("--grep", values.grep);
  try {
    execFileSync("npx", [...args, ...tests], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, NODE_ENV: "test", TSGI_ACCEPT_MAP: join(dir, "map.json") },
    });
    code = 0;
  } catch (error) {
    code = error.status ?? 1;
  }
} finally {
  // Wait for the servers to go, so that a run right after this one finds nothing left over.
  await Promise.all(children.map(stopChild));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);

/** Express: the example each test/acceptance/X.js requires. */
function expressApps(checkout) {
  const found = new Set();
  const tests = join(checkout, "test", "acceptance");
  for (const file of readdirSync(tests).filter((name) => name.endsWith(".js"))) {
    const match = /require\('(\.\.\/\.\.\/examples\/[^']+)'\)/.exec(
      readFileSync(join(tests, file), "utf8"),
    );
    if (match) found.add(resolve(tests, match[1]));
  }
  return [...found];
}

/** koajs/examples: every X/app.js with an X/test.js. */
function koaApps(checkout) {
  return readdirSync(checkout)
    .filter((name) => existsSync(join(checkout, name, "test.js")))
    .map((name) => join(checkout, name, "app.js"))
    .filter((app) => existsSync(app));
}

async function startNginx(sites) {
  for (const s of sites) {
    const args = [
      join(TSGI, "dist/cli/main.js"),
      "fcgi",
      s.app,
      "--listen",
      `127.0.0.1:${s.upstream}`,
    ];
    children.push(spawnQuiet(process.execPath, args));
  }
  const servers = sites.map((s) =>
    [
      `  upstream u${s.upstream} { server 127.0.0.1:${s.upstream}; keepalive 8; }`,
      `  server { listen 127.0.0.1:${s.port}; server_name localhost; location / {`,
      "    fastcgi_split_path_info (?s)^()(/.*)$;",
      `    include ${join(TSGI, "nginx", "tsgi_params")};`,
      `    fastcgi_pass u${s.upstream}; fastcgi_keep_conn on; } }`,
    ].join("\n"),
  );
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    [
      `worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;`,
      "events {}",
      `http { access_log off; client_body_temp_path ${dir}/body; fastcgi_temp_path ${dir}/fcgi;`,
      ...servers,
      "}",
    ].join("\n"),
  );
  children.push(spawnQuiet("nginx", ["-p", dir, "-c", conf, "-g", "daemon off;"]));
  for (const s of sites) await waitForPort(s.upstream);
  for (const s of sites) await waitForPort(s.port);
}

// tsgi's development server, with its development middleware (validator, debug error page).
async function startServe(sites) {
  for (const s of sites) {
    const args = [join(TSGI, "dist/cli/main.js"), "serve", s.app, "--port", String(s.port)];
    children.push(spawnQuiet(process.execPath, [...args, "--no-log"]));
  }
  for (const s of sites) await waitForPort(s.port);
}

// Apache as Debian runs it by default: the event MPM, so the `cgi` module is mod_cgid. As root
// its children run as nobody: the checkout must be readable by nobody.
async function startApache(sites) {
  const modules = "/usr/lib/apache2/modules";
  const lines = [
    `ServerRoot ${dir}`,
    `PidFile ${dir}/httpd.pid`,
    `ErrorLog ${dir}/apache-error.log`,
    "ServerName localhost",
    ...["mpm_event", "authz_core", "alias", "cgid", "mime"].map(
      (m) => `LoadModule ${m}_module ${modules}/mod_${m}.so`,
    ),
    "TypesConfig /etc/mime.types",
    `ScriptSock ${dir}/cgid.sock`,
    "User nobody",
    "Group nogroup",
    `<Directory ${dir}>`,
    "  Options +ExecCGI",
    "  CGIPassAuth On",
    "  Require all granted",
    "</Directory>",
  ];
  for (const s of sites) {
    const script = join(dir, `app-${s.port}`);
    // tsgi cgi APP from the checkout's directory, as the suite's own process would run it.
    writeFileSync(
      script,
      `#!/bin/sh\ncd ${root}\nNODE_ENV=test exec ${process.execPath} ${TSGI}/dist/cli/main.js cgi ${s.app}\n`,
      { mode: 0o755 },
    );
    lines.push(
      `Listen 127.0.0.1:${s.port}`,
      `<VirtualHost 127.0.0.1:${s.port}>`,
      `  ScriptAlias / ${script}/`,
      "  AllowEncodedSlashes NoDecode",
      "</VirtualHost>",
    );
  }
  writeFileSync(join(dir, "httpd.conf"), `${lines.join("\n")}\n`);
  children.push(spawnQuiet("apache2", ["-X", "-f", join(dir, "httpd.conf")]));
  for (const s of sites) await waitForPort(s.port);
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

function spawnQuiet(command, args) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "test" },
  });
  child.on("exit", (status, signal) => {
    if (status && !signal) console.error(`acceptance: ${command} exited ${status}`);
  });
  return child;
}

function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function waitForPort(port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((ready, fail) => {
    const attempt = () => {
      const socket = connect(port, "127.0.0.1");
      socket.on("connect", () => {
        socket.destroy();
        ready();
      });
      socket.on("error", () => {
        if (Date.now() > deadline) fail(new Error(`acceptance: nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}
