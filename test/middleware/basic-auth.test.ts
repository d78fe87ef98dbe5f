import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { basicAuth, parseBasicAuthorization } from "../../src/middleware/basic-auth.js";
import { inject } from "../../src/testing/inject.js";
import { tempDir } from "../helpers/integration.js";

const whoami: Application = (environ, start) => {
  start("200 OK", [["Content-Type", "application/json"]]);
  return [Buffer.from(JSON.stringify({ user: environ.REMOTE_USER, type: environ.AUTH_TYPE }))];
};

const basic = (credentials: string) =>
  `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;

const dir = tempDir();
afterAll(() => dir.remove());
const htpasswd = join(dir.path, "htpasswd");
// alice:secret ($apr1$), bob:hunter2 ({SHA}), café:pässwörd ($6$), dave:abc (bcrypt).
writeFileSync(
  htpasswd,
  Buffer.concat([
    Buffer.from(
      "alice:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\nbob:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\n",
    ),
    Buffer.from("café:$6$salt$", "utf8"),
    Buffer.from("\ndave:$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i\n"),
  ]),
);

describe("parseBasicAuthorization", () => {
  test.each<[string | undefined, [string, string] | null]>([
    [basic("u:p"), ["u", "p"]],
    [basic("u:p:with:colons"), ["u", "p:with:colons"]],
    [basic(":"), ["", ""]],
    [`bAsIc   ${Buffer.from("u:p").toString("base64")}`, ["u", "p"]],
    ["Basic dTpw", ["u", "p"]], // "u:p" with its padding left off
    [undefined, null],
    ["", null],
    ["Basic", null],
    ["Bearer dTpw", null],
    [basic("no colon"), null],
    ["Basic dTpw!", null],
    ["Basic dTpwA", null], // 4n+1 chars: no base64 has that length
    ["Basic dTp=w", null],
    ["Basic dTpw=", null], // padding that does not complete a quantum
    [`${basic("u:p")}, ${basic("v:q")}`, null], // two headers joined
  ])("%j", (header, expected) => {
    const parsed = parseBasicAuthorization(header);
    expect(parsed && [parsed.user.toString(), parsed.password.toString()]).toEqual(expected);
  });
});

describe("basicAuth", () => {
  const users = basicAuth(whoami, {
    realm: 'Team "A" \\ B',
    users: { alice: "secret", josé: "ñ:ü" },
  });

  test.each<[string, string | undefined, number, string | undefined]>([
    ["right", basic("alice:secret"), 200, "alice"],
    ["UTF-8 user and password with a colon", basic("josé:ñ:ü"), 200, "jos\u00c3\u00a9"],
    ["wrong password", basic("alice:Secret"), 401, undefined],
    ["a prefix of the password", basic("alice:secre"), 401, undefined],
    ["unknown user", basic("mallory:secret"), 401, undefined],
    ["no header", undefined, 401, undefined],
    ["malformed base64", "Basic !!!!", 401, undefined],
    ["no colon", basic("alice"), 401, undefined],
    ["another scheme", "Bearer abc", 401, undefined],
    [
      "latin-1 bytes, not UTF-8",
      `Basic ${Buffer.from("jos\xe9:\xf1:\xfc", "latin1").toString("base64")}`,
      401,
      undefined,
    ],
  ])("%s -> %d", async (_name, authorization, status, user) => {
    const res = await inject(users, {
      headers: authorization ? { Authorization: authorization } : {},
    });
    expect(res.statusCode).toBe(status);
    if (status === 200) {
      expect(res.json()).toEqual({ user, type: "Basic" });
    } else {
      expect(res.header("WWW-Authenticate")).toBe(
        'Basic realm="Team \\"A\\" \\\\ B", charset="UTF-8"',
      );
      expect(res.text()).toBe("401 Unauthorized\n");
    }
  });

  test("HEAD: the 401's headers without its body", async () => {
    const res = await inject(users, { method: "HEAD" });
    expect([res.statusCode, res.header("Content-Length"), res.body.length]).toEqual([401, "17", 0]);
  });

  test("a non-ASCII realm goes out as its UTF-8 bytes", async () => {
    const res = await inject(basicAuth(whoami, { realm: "Zoë", users: {} }));
    expect(res.header("WWW-Authenticate")).toBe('Basic realm="Zo\u00c3\u00ab", charset="UTF-8"');
  });

  test("verify may be async and sees the decoded text", async () => {
    const seen: string[] = [];
    const app = basicAuth(whoami, {
      verify: async (user, password) => {
        seen.push(`${user}|${password}`);
        return user === "zoë" && password === "✓";
      },
    });
    expect((await inject(app, { headers: { Authorization: basic("zoë:✓") } })).statusCode).toBe(
      200,
    );
    expect((await inject(app, { headers: { Authorization: basic("zoë:x") } })).statusCode).toBe(
      401,
    );
    expect(seen).toEqual(["zoë|✓", "zoë|x"]);
  });

  test("verify returning a truthy non-true value does not let anyone in", async () => {
    const app = basicAuth(whoami, { verify: () => "yes" as unknown as boolean });
    expect((await inject(app, { headers: { Authorization: basic("a:b") } })).statusCode).toBe(401);
  });

  test("a verify that throws is the app's error (a 500), not a way in", async () => {
    const app = basicAuth(whoami, {
      verify: () => {
        throw new Error("ldap down");
      },
    });
    expect((await inject(app, { headers: { Authorization: basic("a:b") } })).statusCode).toBe(500);
  });

  test.each<[string, number, string | undefined]>([
    ["alice:secret", 200, "alice"],
    ["bob:hunter2", 200, "bob"],
    ["dave:abc", 200, "dave"],
    ["dave:abd", 401, undefined],
    ["alice:hunter2", 401, undefined],
    ["nobody:secret", 401, undefined], // checked against alice's hash, still refused
    ["café:anything", 401, undefined], // a malformed entry never matches
  ])("htpasswd file: %s -> %d", async (credentials, status, user) => {
    const app = basicAuth(whoami, { htpasswd });
    const res = await inject(app, { headers: { Authorization: basic(credentials) } });
    expect(res.statusCode).toBe(status);
    if (user) expect(res.json()).toEqual({ user, type: "Basic" });
  });

  test("a missing htpasswd file is a 500 naming it, never a way in", async () => {
    const app = basicAuth(whoami, { htpasswd: join(dir.path, "missing") });
    const res = await inject(app, { headers: { Authorization: basic("a:b") } });
    expect(res.statusCode).toBe(500);
    expect(res.errors).toContain("cannot read htpasswd file");
  });

  test.each([{}, { users: {}, verify: () => true }])(
    "options %j: exactly one source",
    (options) => {
      expect(() => basicAuth(whoami, options)).toThrow(/exactly one of users, verify or htpasswd/);
    },
  );
});
