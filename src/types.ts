/** The public contract types (design §1); they live in core/ so the core depends on nothing. */
export type {
  Application,
  Body,
  Environ,
  ErrorStream,
  Headers,
  Input,
  Middleware,
  Outcome,
  Sink,
  StartResponse,
  Write,
} from "./core/types.js";
