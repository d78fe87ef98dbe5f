import { lazyBuiltin } from "../core/lazy-builtin.js";

/** node:crypto and node:net, loaded on first use (see lazyBuiltin). */
export const nodeCrypto = lazyBuiltin<typeof import("node:crypto")>("node:crypto");
export const nodeNet = lazyBuiltin<typeof import("node:net")>("node:net");
