/** `tsgi/http`: the development HTTP server. */
export { type DevServer, type ServeOptions, serve } from "./frontends/http.js";
