/**
 * Form bodies: `application/x-www-form-urlencoded` read under a memory limit, and
 * `multipart/form-data` (RFC 7578) parsed by @fastify/busboy, loaded only when a multipart form
 * is parsed. Limits follow Werkzeug's: total size, form memory (500 kB), parts (1000), part
 * header size; past one, an HttpError 413 (or 400 for a malformed body). Nothing is buffered
 * without a bound: files spill to temp files.
 */
import type { Readable } from "node:stream";
import type { BusboyInstance } from "@fastify/busboy";
import type { Environ } from "../core/types.js";
import { checkDeclaredLength, readBody } from "./body.js";
import { HttpError } from "./http-error.js";
import { PartHeaderGuard } from "./part-header-guard.js";
import { collectFile, TempDir, type UploadedFile } from "./uploads.js";

export interface FormLimits {
  /** The whole body, bytes; default 16 MiB. */
  maxContentLength?: number;
  /** Field names and values held in memory, bytes; default 500 kB. */
  maxFormMemory?: number;
  /** Fields plus files; default 1000. */
  maxParts?: number;
  /** One part's header block, bytes; default 8 KiB. */
  maxHeaderSize?: number;
  /** One file, bytes; default `maxContentLength`. */
  maxFileSize?: number;
  /** Files up to this size stay in memory, bigger ones go to a temp file; default 64 KiB. */
  fileMemoryLimit?: number;
  /** Where temp files go; default `os.tmpdir()`. */
  tempDir?: string;
}

const DEFAULTS = {
  maxContentLength: 16 * 1024 * 1024,
  maxFormMemory: 500_000,
  maxParts: 1000,
  maxHeaderSize: 8 * 1024,
  fileMemoryLimit: 64 * 1024,
};

/** A parsed form: text fields and files, each name possibly repeated. */
export class Form {
  constructor(
    readonly fields: URLSearchParams,
    readonly files: UploadedFile[],
    private readonly temp: TempDir | undefined,
  ) {}

  /** The first text field of this name. */
  get(name: string): string | null {
    return this.fields.get(name);
  }

  getAll(name: string): string[] {
    return this.fields.getAll(name);
  }

  has(name: string): boolean {
    return this.fields.has(name) || this.files.some((f) => f.fieldName === name);
  }

  /** The first file uploaded under this field name. */
  file(name: string): UploadedFile | undefined {
    return this.files.find((f) => f.fieldName === name);
  }

  /** Removes the temp files; `Request.application` calls it when the response is done. */
  async dispose(): Promise<void> {
    await this.temp?.dispose();
  }
}

/** The form in the request body, by its Content-Type; another type is a 415. */
export async function parseForm(environ: Environ, limits: FormLimits = {}): Promise<Form> {
  const type = (environ.CONTENT_TYPE ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return parseUrlencoded(environ, limits);
  if (type === "multipart/form-data") return parseMultipart(environ, limits);
  // No body at all (a GET, an empty POST): an empty form, as Werkzeug's request.form.
  if (!type && !Number(environ.CONTENT_LENGTH || 0)) {
    return new Form(new URLSearchParams(), [], undefined);
  }
  throw new HttpError(
    415,
    `expected a form body, got Content-Type ${JSON.stringify(type || "(none)")}`,
  );
}

async function parseUrlencoded(environ: Environ, limits: FormLimits): Promise<Form> {
  const memory = limits.maxFormMemory ?? DEFAULTS.maxFormMemory;
  const body = await readBody(
    environ,
    Math.min(memory, limits.maxContentLength ?? memory),
    "form body",
  );
  const text = Buffer.from(body).toString("utf8");
  const maxParts = limits.maxParts ?? DEFAULTS.maxParts;
  let parts = text ? 1 : 0;
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) parts++;
  if (parts > maxParts) throw new HttpError(413, `form has more than ${maxParts} fields`);
  return new Form(new URLSearchParams(text), [], undefined);
}

async function parseMultipart(environ: Environ, limits: FormLimits): Promise<Form> {
  const total = limits.maxContentLength ?? DEFAULTS.maxContentLength;
  checkDeclaredLength(environ, total, "multipart body");
  const { Busboy } = await import("@fastify/busboy");
  const parser = new MultipartParser(limits, total);
  let busboy: BusboyInstance;
  try {
    busboy = Busboy({
      headers: { "content-type": environ.CONTENT_TYPE ?? "" },
      limits: {
        parts: limits.maxParts ?? DEFAULTS.maxParts,
        fieldSize: limits.maxFormMemory ?? DEFAULTS.maxFormMemory,
        fieldNameSize: limits.maxFormMemory ?? DEFAULTS.maxFormMemory,
        fileSize: limits.maxFileSize ?? total,
        headerSize: limits.maxHeaderSize ?? DEFAULTS.maxHeaderSize,
      },
    });
  } catch (err) {
    throw new HttpError(400, `multipart body: ${(err as Error).message}`, { cause: err });
  }
  const boundary = PartHeaderGuard.boundaryOf(environ.CONTENT_TYPE ?? "");
  const guard = boundary
    ? new PartHeaderGuard(boundary, limits.maxHeaderSize ?? DEFAULTS.maxHeaderSize)
    : null;
  return parser.run(busboy, environ, guard);
}

class MultipartParser {
  private readonly fields = new URLSearchParams();
  private readonly pending: Array<Promise<UploadedFile>> = [];
  private readonly temp: TempDir;
  private memory = 0;
  private failure: HttpError | null = null;

  constructor(
    private readonly limits: FormLimits,
    private readonly total: number,
  ) {
    this.temp = new TempDir(limits.tempDir);
  }

  async run(
    busboy: BusboyInstance,
    environ: Environ,
    guard: PartHeaderGuard | null,
  ): Promise<Form> {
    const finished = new Promise<void>((done) => busboy.once("finish", done));
    this.listen(busboy);
    try {
      await this.feed(busboy, environ, guard);
      await Promise.race([finished, this.failed(busboy)]);
      const files = await Promise.all(this.pending);
      if (this.failure) throw this.failure;
      return new Form(this.fields, files, this.temp);
    } catch (err) {
      busboy.destroy();
      await Promise.allSettled(this.pending);
      await this.temp.dispose();
      throw this.failure ?? err;
    }
  }

  private listen(busboy: BusboyInstance): void {
    const maxParts = this.limits.maxParts ?? DEFAULTS.maxParts;
    const memoryLimit = this.limits.maxFormMemory ?? DEFAULTS.maxFormMemory;
    busboy.on("field", (name, value, nameTruncated, valueTruncated) => {
      this.memory += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (nameTruncated || valueTruncated || this.memory > memoryLimit) {
        this.fail(413, `form fields exceed the form memory limit of ${memoryLimit} bytes`);
      }
      this.fields.append(name, value);
    });
    busboy.on("file", (fieldName, stream, filename, _encoding, contentType) => {
      this.watchFile(fieldName, stream, filename, contentType);
    });
    busboy.on("partsLimit", () => this.fail(413, `form has more than ${maxParts} parts`));
    busboy.on("error", (err: unknown) =>
      this.fail(400, `multipart body: ${(err as Error)?.message ?? err}`),
    );
  }

  private watchFile(
    fieldName: string,
    stream: Readable,
    filename: string,
    contentType: string,
  ): void {
    const maxFile = this.limits.maxFileSize ?? this.total;
    stream.on("limit", () => {
      this.fail(413, `file ${JSON.stringify(fieldName)} exceeds the limit of ${maxFile} bytes`);
      stream.destroy(this.failure ?? undefined);
    });
    const memory = this.limits.fileMemoryLimit ?? DEFAULTS.fileMemoryLimit;
    const file = collectFile(stream, { fieldName, filename, contentType }, memory, this.temp);
    file.catch(() => {});
    this.pending.push(file);
  }

  /** Writes the body into busboy with backpressure, counting it against the total limit. */
  private async feed(
    busboy: BusboyInstance,
    environ: Environ,
    guard: PartHeaderGuard | null,
  ): Promise<void> {
    const maxHeader = this.limits.maxHeaderSize ?? DEFAULTS.maxHeaderSize;
    let size = 0;
    for await (const chunk of environ["tsgi.input"]) {
      size += chunk.length;
      if (size > this.total)
        this.fail(413, `multipart body exceeds the limit of ${this.total} bytes`);
      if (guard && !guard.feed(chunk))
        this.fail(431, `a multipart part's header exceeds the limit of ${maxHeader} bytes`);
      if (this.failure) throw this.failure;
      if (!busboy.write(chunk)) await this.drained(busboy);
      if (this.failure) throw this.failure;
    }
    busboy.end();
  }

  private drained(busboy: BusboyInstance): Promise<void> {
    return new Promise((done) => {
      const stop = () => {
        busboy.off("drain", stop);
        busboy.off("error", stop);
        done();
      };
      busboy.on("drain", stop);
      busboy.on("error", stop);
    });
  }

  private failed(busboy: BusboyInstance): Promise<never> {
    return new Promise((_, fail) => {
      if (this.failure) fail(this.failure);
      busboy.on("error", () => fail(this.failure));
    });
  }

  private fail(status: number, message: string): void {
    this.failure ??= new HttpError(status, message);
  }
}
