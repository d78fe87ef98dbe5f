/**
 * `development(app)`: what `tsgi serve` wraps every app in unless `--no-dev`, as plackup's
 * development environment does (Lint + StackTrace + AccessLog): `validator` checks the
 * contract, `catchErrors({ debug: true })` shows the stack and the (redacted) environ on a 500
 * page, `accessLog` writes a `combined` line per request to `tsgi.errors`. Never in production:
 * the error page shows the app's internals.
 *
 * @example
 * import { development, serve } from "tsgi";
 * await serve(development(app), { port: 8080 });
 */
import type { Application } from "../core/types.js";
import { type AccessLogOptions, accessLog } from "./access-log.js";
import { catchErrors } from "./catch-errors.js";
import { validator } from "./validator.js";

export interface DevelopmentOptions {
  /** accessLog's options, or false for no log; default combined to `tsgi.errors`. */
  accessLog?: AccessLogOptions | false;
}

/** Wraps an application in validator, catchErrors({ debug: true }) and accessLog. */
export function development(app: Application, options: DevelopmentOptions = {}): Application {
  // The log is outermost so it sees the status and bytes of the error page too.
  const checked = catchErrors(validator(app), { debug: true });
  return options.accessLog === false ? checked : accessLog(checked, options.accessLog);
}
