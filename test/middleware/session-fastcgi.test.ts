/**
 * A session round trip through the FastCGI front-end: the Set-Cookie of one request comes back
 * as HTTP_COOKIE in the next, over FastCGI records, through Router, Request and Response.
 */
import { expect, test } from "vitest";
import { Router } from "../../src/middleware/router.js";
import { session } from "../../src/middleware/session.js";
import type { Session } from "../../src/middleware/session-object.js";
import { Request } from "../../src/wrappers/request.js";
import { Response } from "../../src/wrappers/response.js";
import { start, text } from "../frontends/fastcgi/setup.js";
import { cgiParams } from "../helpers/fastcgi-client.js";

const login = Request.application(async (request) => {
  const form = await request.form();
  const s = request.environ["tsgi.session"] as Session;
  s.regenerate();
  s.set("user", form.get("user"));
  return Response.redirect("/me", 303);
});

const me = Request.application((request) => {
  const user = (request.environ["tsgi.session"] as Session).get("user");
  return Response.json({ user: user ?? null });
});

const app = session(new Router().post("/login", login).get("/me", me), {
  secrets: ["fcgi-test-secret"],
});

test("log in with a form, then read the session back, over FastCGI", async () => {
  const { client } = await start(app);
  const c = await client();
  const body = text("user=ada+lovelace");
  const posted = await c.request(
    1,
    cgiParams("/login", {
      REQUEST_METHOD: "POST",
      CONTENT_TYPE: "application/x-www-form-urlencoded",
      CONTENT_LENGTH: String(body.length),
    }),
    { body },
  );
  expect(posted.status).toBe("303 See Other");
  const cookie = posted.headers.find(([n]) => n.toLowerCase() === "set-cookie")?.[1] ?? "";
  expect(cookie).toMatch(/^session=[\w-]+\.[\w-]+; .*HttpOnly; SameSite=Lax$/);

  const c2 = await client();
  const read = await c2.request(1, cgiParams("/me", { HTTP_COOKIE: cookie.split(";")[0] }));
  expect(read.status).toBe("200 OK");
  expect(JSON.parse(read.body.toString())).toEqual({ user: "ada lovelace" });
  expect(read.headers).toContainEqual(["Vary", "Cookie"]);
  expect(read.headers.some(([n]) => n.toLowerCase() === "set-cookie")).toBe(false);

  const c3 = await client();
  const forged = await c3.request(1, cgiParams("/me", { HTTP_COOKIE: `${cookie.split(";")[0]}x` }));
  expect(JSON.parse(forged.body.toString())).toEqual({ user: null });
});
