// The hello-world backends: how to find, build and start each one. Every backend that cannot
// run says why (skip reason) instead of disappearing from the table.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, start } from "./proc.mjs";
import { workersBackends } from "./workers.mjs";

const PHP_FPM = ["/usr/sbin/php-fpm8.2", "/usr/sbin/php-fpm"];

/** The first executable in PATH named name, or undefined. */
export async function which(name) {
  const { code, stdout } = await run("sh", ["-c", `command -v ${name}`]);
  return code === 0 ? stdout.trim() : undefined;
}

function tsgiMissing(root, app) {
  if (!existsSync(join(root, "src/frontends/fastcgi/server.ts")))
    return "src/frontends/fastcgi/server.ts does not exist yet";
  if (!existsSync(join(root, "src/cli/commands/fcgi.ts")))
    return "src/cli/commands/fcgi.ts (tsgi fcgi) does not exist yet";
  if (!existsSync(join(root, "dist/cli/main.js"))) return "dist/cli/main.js missing: npm run build";
  if (!existsSync(join(root, app))) return `${app} missing`;
  return undefined;
}

/** tsgi serving APP on port (used by the hello and the streaming sections). */
export function tsgiBackend(name, label, app) {
  return {
    name,
    label,
    async prepare(ctx) {
      return tsgiMissing(ctx.root, app);
    },
    start(ctx, port) {
      const args = ["dist/cli/main.js", "fcgi", app, "--listen", `127.0.0.1:${port}`];
      return start(process.execPath, args, { cwd: ctx.root, logPath: ctx.log(name) });
    },
  };
}

function nodePeer(name, label, script) {
  return {
    name,
    label,
    async prepare(ctx) {
      if (name === "node-fastcgi" && !existsSync(join(ctx.root, "node_modules/node-fastcgi")))
        return "node_modules/node-fastcgi missing: npm install";
      return undefined;
    },
    start(ctx, port) {
      return start(process.execPath, [script, String(port)], {
        cwd: ctx.root,
        logPath: ctx.log(name),
      });
    },
  };
}

/**
 * PHP-FPM, pm static with 2 children (one per core). keepConn false: nginx opens a connection per
 * request, as Debian's snippets/fastcgi-php.conf does; with keep-conn each child holds one nginx
 * connection while the others queue, which raises req/s but also the tail latency.
 */
function phpFpm(name, label, keepConn) {
  return {
    name,
    label,
    async prepare() {
      this.binary = PHP_FPM.find((p) => existsSync(p));
      if (!this.binary) return `no php-fpm binary (looked for ${PHP_FPM.join(", ")})`;
      return undefined;
    },
    start(ctx, port) {
      const conf = join(ctx.dir, `${name}.conf`);
      writeFileSync(conf, phpFpmConf(ctx, name, port));
      // -F foreground, -R allow running as root (this bench runs as root), -y this config only.
      return start(this.binary, ["-y", conf, "-F", "-R"], { logPath: ctx.log(name) });
    },
    site: (ctx) => ({
      scriptFilename: join(ctx.root, "bench/peers/php/hello.php"),
      keepalive: keepConn ? 32 : 0,
    }),
  };
}

function phpFpmConf(ctx, name, port) {
  return [
    "[global]",
    `pid = ${join(ctx.dir, `${name}.pid`)}`,
    `error_log = ${join(ctx.dir, `${name}-error.log`)}`,
    "daemonize = no",
    "[bench]",
    "user = root",
    "group = root",
    `listen = 127.0.0.1:${port}`,
    "pm = static",
    "pm.max_children = 2",
    "",
  ].join("\n");
}

/** Go's net/http/fcgi peer, built into the temp dir on first use. */
export const goFcgi = {
  name: "go",
  label: "Go net/http/fcgi",
  async prepare(ctx) {
    if (this.binary) return undefined;
    if (!(await which("go"))) return "go not installed (apt install golang-go)";
    const out = join(ctx.dir, "go-fcgi");
    const env = { GOTOOLCHAIN: "local", GOFLAGS: "", CGO_ENABLED: "0" };
    if (!process.env.HOME && !process.env.GOCACHE) env.GOCACHE = join(ctx.dir, "gocache");
    const built = await run("go", ["build", "-o", out, "."], {
      cwd: join(ctx.root, "bench/peers/go-fcgi"),
      env,
    });
    if (built.code !== 0) return `go build failed: ${built.stderr.trim()}`;
    this.binary = out;
    return undefined;
  },
  start(ctx, port) {
    return start(this.binary, [String(port)], { logPath: ctx.log("go") });
  },
};

const nginxReturn = {
  name: "nginx",
  label: "nginx `return 200` (the ceiling)",
  kind: "return",
  async prepare() {
    return undefined;
  },
};

/** The hello-world backends in table order. */
export function helloBackends() {
  return [
    nginxReturn,
    tsgiBackend("tsgi", "tsgi (`tsgi fcgi examples/hello.mjs`)", "examples/hello.mjs"),
    nodePeer("bare", "bare Node responder (frames records only)", "bench/peers/bare-responder.mjs"),
    nodePeer("node-fastcgi", "node-fastcgi 2.0.0", "bench/peers/node-fastcgi.mjs"),
    phpFpm("php-fpm", "PHP-FPM 8.2 (pm static, 2 children)", true),
    phpFpm("php-fpm-close", "PHP-FPM 8.2, no keep-conn (Debian's fastcgi-php.conf)", false),
    goFcgi,
    ...workersBackends(),
  ];
}
