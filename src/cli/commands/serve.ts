import { type Command, InvalidArgumentError } from "commander";
import { serve } from "../../frontends/http.js";
import { development } from "../../middleware/development.js";
import { loadApp } from "../load-app.js";

interface ServeFlags {
  host: string;
  port: number;
  log: boolean;
  dev: boolean;
}

/** `tsgi serve APP`: the development HTTP server, until SIGINT or SIGTERM. */
export async function serveCommand(spec: string, flags: ServeFlags): Promise<void> {
  const loaded = await loadApp(spec);
  // plackup's development default: the app checked, its errors shown, each request logged (by
  // accessLog in combined format, so the server's own line is off); --no-dev serves it bare.
  const app = flags.dev ? development(loaded, { accessLog: flags.log ? {} : false }) : loaded;
  const dev = await serve(app, {
    host: flags.host,
    port: flags.port,
    log: flags.log && !flags.dev,
  });
  process.stdout.write(`tsgi: serving ${spec} on ${dev.url} (development only)\n`);
  const stop = (signal: NodeJS.Signals) => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    process.stderr.write(`tsgi: ${signal}, stopping\n`);
    dev.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`tsgi: stopping failed: ${error}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("not a TCP port (0-65535)");
  return n;
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve APP over HTTP for development (not for production)")
    .argument("<APP>", "app module path, optionally path:exportName")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "TCP port (0 picks a free one)", port, 8080)
    .option("--no-log", "no access log line per request on stderr")
    .option(
      "--no-dev",
      "serve APP as it is: no validator, no debug error page, no combined access log",
    )
    .action(serveCommand);
}
