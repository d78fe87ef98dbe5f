/**
 * Builds the CGI part of an environ as a fast (hidden-class) object when the same variable
 * names arrive again and again, as they do from a web server: nginx sends the same
 * fastcgi_params for every request of a location, and a browser the same headers.
 *
 * Why: stored one by one under computed keys, ~20 meta-variables turn the environ into a V8
 * dictionary (past 12 out-of-object fields, V8 stops making hidden classes for keyed stores),
 * and building that dictionary was ~0.75 µs of a hello-world request's ~3.4 µs of JavaScript.
 * An object literal with those names as constant keys is a fast object made from a boilerplate
 * in one step (~0.1 µs), and the app's own reads of it are then fast too. So a sequence of
 * names seen a few times gets a factory function compiled for it: `(v) => ({"NAME": v[0], ...})`.
 */

/** Makes the object for one sequence of names from the values, in the same order. */
type Factory = (values: readonly string[]) => Record<string, string>;

interface Entry {
  sightings: number;
  factory: Factory | null;
}

/**
 * A sequence is compiled on this sighting. A compile costs ~57 µs (30 names), about what eight
 * requests cost to serve, so a client sending ever new header sets can't make tsgi compile
 * more than its requests are worth; the web server's steady sequences get there at once.
 */
export const COMPILE_AT = 8;
/** Past this many sequences the table starts over: a client sending random headers can't grow it. */
const MAX_SEQUENCES = 512;
/** Longer sequences are not compiled (the literal stays one V8 boilerplate with fast properties). */
const MAX_NAMES = 128;

/** Every sequence seen, by its names as a JSON array (unambiguous whatever the names hold). */
const entries = new Map<string, Entry>();
/** False once the runtime refused to compile (`--disallow-code-generation-from-strings`). */
let canCompile = true;

/**
 * One source of requests (a FastCGI connection): it remembers its last sequence of names, so
 * the next request with the very same name strings (the connection's PARAMS decoder hands
 * back the same string objects for the same bytes) finds its factory with no lookup at all.
 */
export class EnvironShapes {
  #names: string[] = [];
  #factory: Factory | null = null;

  /**
   * The first `count` entries of `names` and `values` as an object, keys in that order (a
   * repeated name keeps its last value); null when this sequence has no factory (yet).
   */
  build(
    names: readonly string[],
    values: readonly string[],
    count: number,
  ): Record<string, string> | null {
    const factory =
      this.#factory !== null && this.#same(names, count)
        ? this.#factory
        : this.#lookUp(names, count);
    return factory === null ? null : factory(values);
  }

  #same(names: readonly string[], count: number): boolean {
    const last = this.#names;
    if (last.length !== count) return false;
    for (let i = 0; i < count; i++) if (last[i] !== names[i]) return false;
    return true;
  }

  #lookUp(names: readonly string[], count: number): Factory | null {
    this.#names = names.slice(0, count);
    this.#factory = factoryFor(this.#names);
    return this.#factory;
  }
}

function factoryFor(names: readonly string[]): Factory | null {
  if (!canCompile || names.length > MAX_NAMES || names.includes("__proto__")) return null;
  const key = JSON.stringify(names);
  let entry = entries.get(key);
  if (entry === undefined) {
    if (entries.size >= MAX_SEQUENCES) entries.clear();
    entry = { sightings: 0, factory: null };
    entries.set(key, entry);
  }
  entry.sightings++;
  if (entry.factory === null && entry.sightings >= COMPILE_AT) entry.factory = compile(names);
  return entry.factory;
}

// The names are JSON string literals, which JavaScript reads back as exactly those strings:
// nothing in a name (quotes, backslashes, control chars, U+2028) can leave the literal. A
// literal key "__proto__" would set the prototype; factoryFor never compiles one.
function compile(names: readonly string[]): Factory | null {
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`);
  try {
    return new Function("v", `"use strict"; return { ${fields.join(", ")} };`) as Factory;
  } catch {
    canCompile = false; // code generation from strings is disallowed: keyed stores it is
    return null;
  }
}
