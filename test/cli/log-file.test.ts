import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { LogFile } from "../../src/cli/log-file.js";
import { tempDirs } from "../helpers/integration.js";

const dirs = tempDirs("tsgi-log-file-");

function path(): string {
  return join(dirs.make(), "access.log");
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

test("lines of one tick are written together, appended to what the file had", async () => {
  const file = path();
  const first = new LogFile(file);
  first.write("a\n");
  first.write("b\n");
  expect(readFileSync(file, "utf8")).toBe("");
  await nextTick();
  expect(readFileSync(file, "utf8")).toBe("a\nb\n");
  await first.close();
  const second = new LogFile(file);
  second.write("c\n");
  await second.close(); // close writes what it holds
  expect(readFileSync(file, "utf8")).toBe("a\nb\nc\n");
});

test("reopen after a rename: the old file keeps its lines, the new one gets the rest", async () => {
  const file = path();
  const log = new LogFile(file);
  log.write("before\n");
  await nextTick();
  renameSync(file, `${file}.1`);
  log.write("still old\n"); // renamed but not reopened yet: the descriptor follows the file
  log.reopen();
  log.write("after\n");
  await log.close();
  expect(readFileSync(`${file}.1`, "utf8")).toBe("before\nstill old\n");
  expect(readFileSync(file, "utf8")).toBe("after\n");
});

test("a reopen that fails keeps writing to the old file and says why", async () => {
  const file = path();
  const errors: string[] = [];
  const log = new LogFile(file, (error) => errors.push(error.message));
  const dir = file.slice(0, file.lastIndexOf("/"));
  renameSync(file, `${file}.1`);
  renameSync(dir, `${dir}-gone`);
  dirs.later(() => renameSync(`${dir}-gone`, dir));
  log.reopen();
  expect(errors.join()).toMatch(/ENOENT/);
  log.write("kept\n");
  await log.close();
  expect(readFileSync(`${dir}-gone/access.log.1`, "utf8")).toBe("kept\n");
});
