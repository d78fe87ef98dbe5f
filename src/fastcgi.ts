/** `tsgi/fastcgi`: the FastCGI 1.0 responder. */
export {
  createFastCgiServer,
  type FastCgiOptions,
  type FastCgiServer,
} from "./frontends/fastcgi/server.js";
