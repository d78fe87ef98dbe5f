/** Request / Response over an environ: Werkzeug's gap between the raw interface and a framework. */
export type { Handler, HandlerResult } from "./application.js";
export { type CookieOptions, deleteCookieValue, parseCookies, setCookieValue } from "./cookies.js";
export { Form, type FormLimits } from "./form.js";
export { HeaderList, RequestHeaders } from "./headers.js";
export { HttpError, isHttpError } from "./http-error.js";
export { Request, type RequestOptions } from "./request.js";
export { Response, type ResponseBody, type ResponseInit } from "./response.js";
export { safeFilename, type UploadedFile } from "./uploads.js";
