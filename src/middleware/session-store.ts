/**
 * Server-side sessions: the signed cookie carries only an id, the data lives in a store.
 * Any object with `get`, `set` and `destroy` will do (sync or async): a Map wrapper, Redis, a
 * database table. `MemoryStore` is for tests and a single process.
 */

export type SessionData = Record<string, unknown>;

export interface SessionStore {
  /** The data saved under `id`, or null/undefined when there is none (or it expired). */
  get(id: string): SessionData | null | undefined | Promise<SessionData | null | undefined>;
  /** Saves the data; `expires` is when the session ends at the latest (absolute or idle). */
  set(id: string, data: SessionData, info: { expires: Date }): void | Promise<void>;
  destroy(id: string): void | Promise<void>;
}

/** A store in this process's memory: entries expire at their `expires` time. */
export class MemoryStore implements SessionStore {
  private readonly entries = new Map<string, { json: string; expires: number }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  get(id: string): SessionData | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return JSON.parse(entry.json);
  }

  set(id: string, data: SessionData, info: { expires: Date }): void {
    this.entries.set(id, { json: JSON.stringify(data), expires: info.expires.getTime() });
  }

  destroy(id: string): void {
    this.entries.delete(id);
  }

  /** How many sessions are held (expired ones included until read). */
  get size(): number {
    return this.entries.size;
  }
}
