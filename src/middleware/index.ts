/** The middleware that ship with tsgi: each `(app, options) => app`. */
export { type ConditionalOptions, conditional } from "./conditional.js";
export { dispatcher } from "./dispatcher.js";
export { type RouteMatch, Router, type RouterOptions } from "./router.js";
export { type Precompressed, type SendFileOptions, sendFile } from "./send-file.js";
export { SessionError, type SessionOptions, session } from "./session.js";
export type { Session } from "./session-object.js";
export { MemoryStore, type SessionData, type SessionStore } from "./session-store.js";
export { type StaticFilesOptions, staticFiles } from "./static-files.js";
export { validator } from "./validator.js";
export { type XSendfileOptions, type XSendfileType, xSendfile } from "./x-sendfile.js";
