/** The middleware that ship with tsgi: each `(app, options) => app`. */
export { dispatcher } from "./dispatcher.js";
export { validator } from "./validator.js";
