/** `tsgi/fastcgi`: the FastCGI 1.0 responder. */
export {
  createFastCgiServer,
  createFastCgiWorkerServer,
  type FastCgiOptions,
  type FastCgiServer,
  type FastCgiWorkerServer,
  type ReleaseTarget,
} from "./frontends/fastcgi/server.js";
