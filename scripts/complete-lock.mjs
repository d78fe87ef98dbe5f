#!/usr/bin/env node
// `npm ci` wants a lock entry for every optional dependency, other platforms' native builds
// included (esbuild, rollup, biome). A registry mirror that serves only this platform's
// packages leaves those out of a lock made with `npm install`, and `npm ci` then refuses it.
// This adds the missing entries with the os/cpu/libc their names say, so npm skips them on
// the wrong platform without fetching. Run it after `npm install` changed package-lock.json.
import { readFileSync, writeFileSync } from "node:fs";

const OS = [
  "aix",
  "android",
  "darwin",
  "freebsd",
  "linux",
  "netbsd",
  "openbsd",
  "openharmony",
  "sunos",
  "win32",
];
const CPU = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x", "mips64el"];
const path = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;

for (const meta of Object.values(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const entry = platformEntry(name, version, meta.dev === true);
    if (!entry) {
      console.error(`complete-lock: cannot tell the platform of ${name}; left out`);
      continue;
    }
    packages[key] = entry;
    added++;
  }
}

function platformEntry(name, version, dev) {
  const tokens = name.split("/").pop().split(/[-_]/);
  const os = OS.find((o) => tokens.includes(o));
  const cpu =
    CPU.find((c) => tokens.includes(c)) ??
    (tokens.some((t) => t.startsWith("arm")) ? "arm" : undefined);
  if (!os || !cpu) return null;
  const entry = { version, cpu: [cpu], ...(dev ? { dev } : {}), optional: true, os: [os] };
  if (os === "linux") entry.libc = [tokens.some((t) => t.startsWith("musl")) ? "musl" : "glibc"];
  return entry;
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: ${added} entries added to ${path}`);
