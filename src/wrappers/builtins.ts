import { lazyBuiltin } from "../core/lazy-builtin.js";

/** node:http (for STATUS_CODES) and node:fs, loaded on first use (see lazyBuiltin). */
export const nodeHttp = lazyBuiltin<typeof import("node:http")>("node:http");
export const nodeFs = lazyBuiltin<typeof import("node:fs")>("node:fs");
