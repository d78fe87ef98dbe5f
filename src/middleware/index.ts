/** The middleware that ship with tsgi: each `(app, options) => app`. */
export { dispatcher } from "./dispatcher.js";
export { type RouteMatch, Router, type RouterOptions } from "./router.js";
export { SessionError, type SessionOptions, session } from "./session.js";
export type { Session } from "./session-object.js";
export { MemoryStore, type SessionData, type SessionStore } from "./session-store.js";
export { validator } from "./validator.js";
