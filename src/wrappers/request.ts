/**
 * `Request`: a read-only view of one environ, Werkzeug's Request for tsgi. Nothing is parsed
 * before it is asked for; the body is read once, under a limit.
 *
 * @example
 * import { Request, Response } from "tsgi";
 * export default Request.application(async (request) => {
 *   const { name } = (await request.json()) as { name: string };
 *   return Response.json({ hello: name, page: request.query.get("page") });
 * });
 */
import type { Application, Environ } from "../core/types.js";
import { decodeUtf8, requestUrl } from "../core/url.js";
import { type Handler, runHandler } from "./application.js";
import { DEFAULT_BODY_LIMIT, readBody } from "./body.js";
import { parseCookies } from "./cookies.js";
import { type Form, type FormLimits, parseForm } from "./form.js";
import { RequestHeaders } from "./headers.js";
import { HttpError } from "./http-error.js";

export interface RequestOptions extends FormLimits {
  /** The most `body()`, `text()` and `json()` read, bytes; default 1 MiB. */
  maxBodySize?: number;
}

export class Request {
  readonly environ: Environ;
  readonly options: RequestOptions;
  private cache: {
    body?: Promise<Uint8Array>;
    form?: Promise<Form>;
    query?: URLSearchParams;
    cookies?: Record<string, string | undefined>;
    headers?: RequestHeaders;
  } = {};

  constructor(environ: Environ, options: RequestOptions = {}) {
    this.environ = environ;
    this.options = options;
  }

  /**
   * An application from a handler that takes a Request and returns a Response, a Web
   * `Response` (its body streamed) or a string. An HttpError thrown by the handler (a body too
   * large, bad JSON) becomes its status; anything else is the gateway's 500.
   */
  static application(handler: Handler<Request>, options: RequestOptions = {}): Application {
    return (environ, startResponse) =>
      runHandler(new Request(environ, options), handler, startResponse);
  }

  get method(): string {
    return this.environ.REQUEST_METHOD;
  }

  /** PATH_INFO as UTF-8 text, "/" when empty. */
  get path(): string {
    return decodeUtf8(this.environ.PATH_INFO || "/");
  }

  /** PATH_INFO as the environ holds it: decoded bytes, one char per byte. */
  get rawPath(): string {
    return this.environ.PATH_INFO ?? "";
  }

  /** SCRIPT_NAME as UTF-8 text: where the app is mounted. */
  get scriptName(): string {
    return decodeUtf8(this.environ.SCRIPT_NAME ?? "");
  }

  /** The full request URL (PEP 3333 URL reconstruction), percent-encoded. */
  get url(): string {
    return requestUrl(this.environ);
  }

  /** The query string's parameters; `getAll(name)` for repeated ones. */
  get query(): URLSearchParams {
    this.cache.query ??= new URLSearchParams(decodeUtf8(this.environ.QUERY_STRING ?? ""));
    return this.cache.query;
  }

  /** Request headers, looked up case-insensitively. */
  get headers(): RequestHeaders {
    this.cache.headers ??= new RequestHeaders(this.environ);
    return this.cache.headers;
  }

  /** The request's cookies, name -> value (the first of a repeated name wins). */
  get cookies(): Record<string, string | undefined> {
    this.cache.cookies ??= parseCookies(this.environ.HTTP_COOKIE);
    return this.cache.cookies;
  }

  get remoteAddr(): string | undefined {
    return this.environ.REMOTE_ADDR;
  }

  get contentType(): string {
    return this.environ.CONTENT_TYPE ?? "";
  }

  /** The body's bytes, at most `maxBodySize` (413 past it). Read once, then remembered. */
  body(): Promise<Uint8Array> {
    this.cache.body ??= readBody(this.environ, this.options.maxBodySize ?? DEFAULT_BODY_LIMIT);
    return this.cache.body;
  }

  /** The body as UTF-8 text. */
  async text(): Promise<string> {
    return Buffer.from(await this.body()).toString("utf8");
  }

  /** The body parsed as JSON; malformed JSON is an HttpError 400. */
  async json(): Promise<unknown> {
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** The urlencoded or multipart form (415 for another Content-Type), under the form limits. */
  form(): Promise<Form> {
    this.cache.form ??= parseForm(this.environ, this.options);
    return this.cache.form;
  }

  /** Removes a parsed form's temp files; `Request.application` calls it when done. */
  async dispose(): Promise<void> {
    const form = await this.cache.form?.catch(() => undefined);
    await form?.dispose();
  }
}
