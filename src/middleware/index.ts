/** The middleware that ship with tsgi: each `(app, options) => app`. */
export { type AccessLogOptions, accessLog } from "./access-log.js";
export {
  type BasicAuthOptions,
  basicAuth,
  parseBasicAuthorization,
} from "./basic-auth.js";
export { bcryptHash, bcryptVerify } from "./bcrypt.js";
export {
  type CatchErrorsOptions,
  catchErrors,
  type ErrorContext,
  type ErrorPage,
} from "./catch-errors.js";
export { type AddressMatcher, addressMatcher, parseIp } from "./cidr.js";
export { type ConditionalOptions, conditional } from "./conditional.js";
export { type DevelopmentOptions, development } from "./development.js";
export { dispatcher } from "./dispatcher.js";
export {
  type HtpasswdEntries,
  hashScheme,
  htpasswdFile,
  parseHtpasswd,
  verifyHash,
} from "./htpasswd.js";
export { formatHttpDate, parseHttpDate } from "./http/http-date.js";
export { type AccessLogResult, accessLogFields, logUri } from "./log-fields.js";
export {
  type AccessLogFields,
  type AccessLogFormat,
  COMBINED,
  COMMON,
  compileAccessLogFormat,
  escapeLogValue,
  formatAccessLog,
  timeLocal,
} from "./log-format.js";
export {
  type ProxyFixOptions,
  type ProxyFixOriginal,
  proxyFix,
} from "./proxy-fix.js";
export { type RouteMatch, Router, type RouterOptions } from "./router.js";
export { type Precompressed, type SendFileOptions, sendFile } from "./send-file.js";
export { SessionError, type SessionOptions, session } from "./session.js";
export type { Session } from "./session-object.js";
export { MemoryStore, type SessionData, type SessionStore } from "./session-store.js";
export { type StaticFilesOptions, staticFiles } from "./static-files.js";
export { validator } from "./validator.js";
export { type XSendfileOptions, type XSendfileType, xSendfile } from "./x-sendfile.js";
