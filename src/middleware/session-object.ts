/**
 * The session an app sees at `environ["tsgi.session"]`: a small map of JSON values. It records
 * whether it was used (-> `Vary: Cookie`) and what became of it (kept, regenerated,
 * destroyed); whether it changed is found by comparing its JSON with what was loaded, so a
 * nested change (`session.get("cart").push(x)`) is saved too.
 */
import { nodeCrypto } from "./builtins.js";
import type { SessionData } from "./session-store.js";

export type SessionFate = "kept" | "regenerated" | "destroyed";

export class Session {
  /** Any other name reads and writes the data (see DATA_PROPERTIES). */
  [key: string]: unknown;
  private data: SessionData;
  private readonly loadedJson: string;
  /** True once the app called any method: the response then varies by Cookie. */
  accessed = false;
  fate: SessionFate = "kept";
  /** The store id (store sessions only); a new one after `regenerate()`. */
  id: string | undefined;
  /** The id the request came with, to destroy in the store after `regenerate()`/`destroy()`. */
  readonly previousId: string | undefined;
  /** True when the request carried no valid session. */
  readonly isNew: boolean;

  constructor(data: SessionData | null, id: string | undefined) {
    this.data = Object.assign(Object.create(null), data ?? {});
    this.loadedJson = JSON.stringify(this.data);
    this.isNew = data === null;
    this.id = id;
    this.previousId = data === null ? undefined : id;
    // biome-ignore lint/correctness/noConstructorReturn: property access reads and writes the data
    return new Proxy(this, DATA_PROPERTIES);
  }

  get(key: string): unknown {
    this.accessed = true;
    return this.data[key];
  }

  /** Stores a JSON-serialisable value. */
  set(key: string, value: unknown): this {
    this.accessed = true;
    if (this.fate === "destroyed") this.regenerate();
    this.data[key] = value;
    return this;
  }

  has(key: string): boolean {
    this.accessed = true;
    return Object.hasOwn(this.data, key);
  }

  delete(key: string): boolean {
    this.accessed = true;
    const had = Object.hasOwn(this.data, key);
    delete this.data[key];
    return had;
  }

  clear(): void {
    this.accessed = true;
    this.data = Object.create(null);
  }

  keys(): string[] {
    this.accessed = true;
    return Object.keys(this.data);
  }

  entries(): Array<[string, unknown]> {
    this.accessed = true;
    return Object.entries(this.data);
  }

  get size(): number {
    this.accessed = true;
    return Object.keys(this.data).length;
  }

  /** A copy of the data. */
  toJSON(): SessionData {
    this.accessed = true;
    return JSON.parse(JSON.stringify(this.data));
  }

  /**
   * Starts a new session that keeps the data: a new id (store) and a new issue time, against
   * session fixation. Call it when the user logs in or changes privilege.
   */
  regenerate(): void {
    this.accessed = true;
    this.fate = "regenerated";
    if (this.id !== undefined) this.id = newSessionId();
  }

  /** Ends the session: the data is dropped, the cookie removed, the store entry destroyed. */
  destroy(): void {
    this.accessed = true;
    this.fate = "destroyed";
    this.data = Object.create(null);
  }

  /** The data, for saving. */
  snapshot(): SessionData {
    return this.data;
  }

  /** True when the data differs from what the request brought. */
  get changed(): boolean {
    return JSON.stringify(this.data) !== this.loadedJson;
  }

  get empty(): boolean {
    return Object.keys(this.data).length === 0;
  }
}

/**
 * `session.user = "ada"` and `session.user` work like `set("user", ...)` and `get("user")`
 * (Flask's and express-session's style) for every name that is not a Session member; `then`
 * stays undefined so that awaiting a session does not look it up.
 */
const DATA_PROPERTIES: ProxyHandler<Session> = {
  get(target, prop) {
    if (typeof prop === "symbol" || prop in target || prop === "then")
      return Reflect.get(target, prop);
    return target.get(prop);
  },
  set(target, prop, value) {
    if (typeof prop === "symbol" || prop in target) return Reflect.set(target, prop, value);
    target.set(prop, value);
    return true;
  },
  deleteProperty(target, prop) {
    if (typeof prop === "symbol" || prop in target) return Reflect.deleteProperty(target, prop);
    target.delete(prop);
    return true;
  },
  has(target, prop) {
    return prop in target || (typeof prop === "string" && target.has(prop));
  },
  // Object.keys(session), spreading and deep equality see the data, as with a plain object.
  ownKeys(target) {
    return target.keys();
  },
  getOwnPropertyDescriptor(target, prop) {
    if (typeof prop === "symbol" || !target.has(prop)) return undefined;
    return { value: target.get(prop), writable: true, enumerable: true, configurable: true };
  },
};

/** 256 random bits, base64url: an id nobody can guess. */
export function newSessionId(): string {
  return nodeCrypto().randomBytes(32).toString("base64url");
}
