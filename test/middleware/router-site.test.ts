/**
 * The example site (examples/site/app.mjs): Router + session + basicAuth + staticFiles +
 * accessLog, through inject(). The site imports "tsgi" (the package's own dist/), so this
 * needs `npm run build`; `npm test` builds first.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";
import { ROOT } from "../fixtures/fastcgi/harness.js";

const built = existsSync(join(ROOT, "dist/index.js"));
let site: Application;

function cookieOf(res: { headers: Array<[string, string]> }): string {
  return (res.headers.find(([n]) => n.toLowerCase() === "set-cookie")?.[1] ?? "").split(";")[0];
}

describe.runIf(built)("examples/site", () => {
  beforeAll(async () => {
    process.env.ADMIN_PASSWORD = "s3cret";
    site = (await import(join(ROOT, "examples/site/app.mjs"))).default;
  });

  test("the home page counts visits in the session", async () => {
    const first = await inject(site, { url: "/" });
    expect(first.statusCode).toBe(200);
    expect(first.text()).toContain("<strong>1</strong>");
    const second = await inject(site, { url: "/", headers: { Cookie: cookieOf(first) } });
    expect(second.text()).toContain("<strong>2</strong>");
    expect(second.header("vary")).toBe("Cookie");
  });

  test("a name posted with a form is remembered, escaped", async () => {
    const posted = await inject(site, {
      method: "POST",
      url: "/name",
      body: "name=%3Cb%3Eada",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(posted.status).toBe("303 See Other");
    const home = await inject(site, { url: "/", headers: { Cookie: cookieOf(posted) } });
    expect(home.text()).toContain("Hello, &#60;b&#62;ada.");
  });

  test("each request is logged in combined format on tsgi.errors", async () => {
    const res = await inject(site, { url: "/hello/x?y=1", headers: { "User-Agent": "t/1" } });
    expect(res.errors).toMatch(
      /^\S+ - - \[.+\] "GET \/hello\/x\?y=1 HTTP\/1.1" 200 \d+ "-" "t\/1"\n$/,
    );
  });

  test("/admin asks for credentials, and lets the admin in", async () => {
    const denied = await inject(site, { url: "/admin" });
    expect(denied.statusCode).toBe(401);
    expect(denied.header("www-authenticate")).toMatch(/^Basic realm="tsgi example"/);
    const auth = `Basic ${Buffer.from("admin:s3cret").toString("base64")}`;
    const allowed = await inject(site, { url: "/admin", headers: { Authorization: auth } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.text()).toContain("Signed in as <code>admin</code>");
  });

  test.each([["//admin"], ["/static/../admin"], ["/x/../admin"]])(
    "%s is redirected to the guard, not served",
    async (url) => {
      const res = await inject(site, { url });
      expect(res.statusCode).toBe(301);
      expect(res.header("location")).toBe("/admin");
    },
  );

  test("static files are served with validators; others are 404", async () => {
    const css = await inject(site, { url: "/static/style.css" });
    expect(css.statusCode).toBe(200);
    expect(css.header("content-type")).toMatch(/^text\/css/);
    expect(css.header("etag")).toBeDefined();
    expect((await inject(site, { url: "/static/nope.css" })).statusCode).toBe(404);
  });

  test("the router's 405 and url building work inside the site", async () => {
    const res = await inject(site, { method: "DELETE", url: "/" });
    expect(res.statusCode).toBe(405);
    expect(res.header("allow")).toBe("GET, HEAD");
    expect((await inject(site, { url: "/hello/world" })).text()).toContain(
      'href="/hello/tsgi%20%26%20friends"',
    );
  });
});
