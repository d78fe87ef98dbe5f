import { join } from "node:path";
import type { Application } from "../../src/core/types.js";
import { createFastCgiServer } from "../../src/fastcgi.js";
import { ROOT } from "../fixtures/fastcgi/harness.js";
import { startNginx } from "./nginx.js";
import type { ServerHandle } from "./server-process.js";

/** nginx on a free port with `app` mounted at /app over FastCGI (an in-process tsgi responder). */
export interface NginxWithApp {
  nginx: ServerHandle;
  stop(): Promise<void>;
}

/**
 * Starts a tsgi FastCGI responder for `app` and an nginx that passes `/app/...` to it
 * (SCRIPT_NAME "/app", the committed nginx/tsgi_params) and serves whatever `directives` (more
 * server-block lines: a root, a `/ref/` location, an access_log) say. For tests that compare
 * what nginx does itself with what tsgi does behind the same nginx.
 */
export async function nginxWithApp(app: Application, directives: string): Promise<NginxWithApp> {
  const backend = createFastCgiServer(app, { log: () => {} });
  await backend.listen("127.0.0.1:0");
  try {
    const nginx = await startNginx(`
    server {
        listen 127.0.0.1:{{PORT}};
        server_name localhost;
        ${directives}
        location /app/ {
            fastcgi_split_path_info (?s)^(/app)(/.*)$;
            include ${join(ROOT, "nginx/tsgi_params")};
            fastcgi_pass ${backend.address()};
        }
    }`);
    return {
      nginx,
      stop: async () => {
        await nginx.stop();
        await backend.close();
      },
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}
