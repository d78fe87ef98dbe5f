// The example site: Router + session + basicAuth + staticFiles + accessLog, in one file.
//
//   npm run build && node dist/cli/main.js serve examples/site/app.mjs --no-dev --no-log
//
// (--no-dev --no-log: the site has its own access log; `tsgi serve` would add a second one.)
// Behind nginx: `tsgi fcgi examples/site/app.mjs --listen 127.0.0.1:9000` with nginx/tsgi-tcp.conf.
//
// Pages: / (a visit counter and a name kept in the session), /hello/:name, /admin (basic
// auth: user "admin", password from ADMIN_PASSWORD, default "change-me"), /static/* (files of
// public/). SESSION_SECRET signs the session cookie; without it a per-process random secret is
// used, so sessions end when the process does.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { accessLog, basicAuth, Request, Response, Router, session, staticFiles } from "tsgi";

const PUBLIC = fileURLToPath(new URL("./public/", import.meta.url));
const SECRET = process.env.SESSION_SECRET || randomBytes(32).toString("hex");
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD || "change-me";

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body, init) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><h1>${esc(title)}</h1>${body}
<p><a href="/">home</a> · <a href="/hello/world">hello</a> · <a href="/admin">admin</a></p></body></html>\n`;
  return new Response(html, {
    ...init,
    headers: { "Content-Type": "text/html; charset=utf-8", ...init?.headers },
  });
}

const home = Request.application((request) => {
  const s = request.environ["tsgi.session"];
  s.visits = (s.visits ?? 0) + 1;
  const name = s.name ? `, ${esc(s.name)}` : "";
  return page(
    "tsgi example site",
    `
<p>Hello${name}. Visits in this session: <strong>${s.visits}</strong>.</p>
<form method="post" action="/name"><input name="name" placeholder="your name" maxlength="40">
<button>remember me</button></form>
<form method="post" action="/logout"><button>forget me</button></form>`,
  );
});

const remember = Request.application(async (request) => {
  const form = await request.form();
  const s = request.environ["tsgi.session"];
  s.regenerate(); // a new session at "login", against fixation
  s.name = String(form.get("name") ?? "").slice(0, 40);
  return Response.redirect("/", 303);
});

const forget = Request.application((request) => {
  request.environ["tsgi.session"].destroy();
  return Response.redirect("/", 303);
});

const hello = Request.application((request) => {
  const { name } = request.environ["tsgi.route"].params;
  return page(
    `Hello, ${name}!`,
    `<p>Built by <code>router.url("hello", …)</code>: 
<a href="${esc(router.url("hello", { name: "tsgi & friends" }))}">another one</a>.</p>`,
  );
});

const admin = Request.application((request) =>
  page("Admin", `<p>Signed in as <code>${esc(request.environ.REMOTE_USER)}</code>.</p>`),
);

export const router = new Router()
  .get("/", home, { name: "home" })
  .post("/name", remember)
  .post("/logout", forget)
  .get("/hello/:name", hello, { name: "hello" })
  .mount("/admin", basicAuth(admin, { realm: "tsgi example", users: { admin: ADMIN_PASSWORD } }))
  .mount("/static", staticFiles(PUBLIC, { maxAge: 3600 }));

export default accessLog(session(router, { secrets: [SECRET], idleTimeout: 30 * 60 }));
