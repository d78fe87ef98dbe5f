export {
  type FetchApp,
  type FetchEnv,
  type FetchHandler,
  type FromFetchOptions,
  fromFetch,
} from "./adapters/fetch.js";
export {
  environOf,
  type FromNodeOptions,
  fromNode,
  type NodeHandler,
  type NodeListener,
} from "./adapters/node.js";
export { type ToFetchOptions, toFetch } from "./adapters/to-fetch.js";
export { type ToNodeOptions, toNode } from "./adapters/to-node.js";
export { buildEnviron, type EnvironOptions, urlScheme } from "./core/environ.js";
export { EnvironShapes } from "./core/environ-shapes.js";
export { errorApp } from "./core/error-app.js";
export {
  ClientGoneError,
  ContractError,
  IncompleteBodyError,
  isClientGone,
  LimitError,
  ProtocolError,
  TsgiError,
} from "./core/errors.js";
export {
  type FileLike,
  FileWrapper,
  type FileWrapperFactory,
  type FileWrapperOptions,
  fileWrapper,
  isFileWrapper,
} from "./core/file-wrapper.js";
export { checkHeaders, checkStatus } from "./core/headers.js";
export { type ByteSource, createInput } from "./core/input.js";
export { type RunOptions, runApp } from "./core/run.js";
export {
  applicationUrl,
  decodeUtf8,
  quoteBytes,
  requestUrl,
  shiftPathInfo,
  toByteString,
  unquoteToBytes,
} from "./core/url.js";
export * from "./middleware/index.js";
export type * from "./types.js";
export {
  type CookieOptions,
  Form,
  type FormLimits,
  type Handler,
  type HandlerResult,
  HeaderList,
  HttpError,
  isHttpError,
  Request,
  RequestHeaders,
  type RequestOptions,
  Response,
  type ResponseBody,
  type ResponseInit,
  type UploadedFile,
} from "./wrappers/index.js";
