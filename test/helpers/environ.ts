import { buildEnviron, type EnvironOptions, MetaVariableList } from "../../src/core/environ.js";
import type { Environ } from "../../src/core/types.js";

/**
 * An environ for a unit test: buildEnviron with no body, errors thrown away, a signal nobody
 * aborts and a one-shot CGI-like setting, any of which `options` replaces.
 */
export function testEnviron(
  vars: Record<string, string> | MetaVariableList = {},
  options: Partial<EnvironOptions> = {},
): Environ {
  return buildEnviron(vars, {
    source: null,
    bodyWithoutLength: "none",
    errors: { write() {}, flush() {} },
    signal: new AbortController().signal,
    multithread: false,
    multiprocess: false,
    runOnce: true,
    ...options,
  });
}

/** An errors stream that appends to `log.text`, for tests that read what was logged. */
export function logTo(log: { text: string }): EnvironOptions["errors"] {
  return { write: (text) => void (log.text += text), flush() {} };
}

/** Meta-variables as a FastCGI front-end hands them over: a list, in order, repeats kept. */
export function metaVariables(...pairs: Array<[string, string]>): MetaVariableList {
  const variables = new MetaVariableList();
  for (const [name, value] of pairs) variables.add(name, value);
  return variables;
}
