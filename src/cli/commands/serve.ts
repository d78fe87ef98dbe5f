import { type Command, InvalidArgumentError } from "commander";
import { gatewayPage, pageApp } from "../../core/error-app.js";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import { serve } from "../../frontends/http.js";
import { development } from "../../middleware/development.js";
import { dispatcher } from "../../middleware/dispatcher.js";
import { adapterOption } from "../adapter-option.js";
import { loadApp } from "../load-app.js";

interface ServeFlags {
  host: string;
  port: number;
  log: boolean;
  dev: boolean;
  mount?: string;
  adapter?: AppKind;
}

/** `tsgi serve APP`: the development HTTP server, until SIGINT or SIGTERM. */
export async function serveCommand(spec: string, flags: ServeFlags): Promise<void> {
  const given = await loadApp(spec, undefined, flags.adapter);
  // --mount: the app under a prefix, as behind a web server (SCRIPT_NAME); 404 elsewhere.
  const loaded = flags.mount ? dispatcher(notFoundApp, { [flags.mount]: given }) : given;
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

const notFoundApp = pageApp(gatewayPage("404 Not Found"));

// dispatcher's rule: a byte-string prefix that starts with "/" and does not end with one.
function mountPrefix(value: string): string {
  if (!/^(\/[^/]+)+$/.test(value)) {
    throw new InvalidArgumentError(
      'not a path prefix like "/app" (starts with "/", no "/" at the end)',
    );
  }
  return value;
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
      "--mount <PREFIX>",
      "serve APP under this path prefix (SCRIPT_NAME), 404 elsewhere",
      mountPrefix,
    )
    .option(
      "--no-dev",
      "serve APP as it is: no validator, no debug error page, no combined access log",
    )
    .addOption(adapterOption(program))
    .action(serveCommand);
}
