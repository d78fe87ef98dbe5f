import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { etag } from "hono/etag";
import { HTTPException } from "hono/http-exception";
import { stream, streamSSE } from "hono/streaming";

/** Bytes of the large download: 16 MiB in 64 KiB chunks, each byte its offset mod 251. */
export const LARGE_SIZE = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;

export function largeChunk(index: number): Uint8Array {
  const chunk = new Uint8Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) chunk[i] = (index * CHUNK + i) % 251;
  return chunk;
}

/** What the streaming routes saw of a client that left, for the test that makes one leave. */
export const seen = { writes: 0, aborted: false, cancelled: false };

/** One Hono app exercising what a real one does; served natively and through fromFetch. */
export function honoApp(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello, Hono!"));
  app.get("/users/:id", (c) =>
    c.json({ id: c.req.param("id"), sort: c.req.query("sort"), tags: c.req.queries("tag") }),
  );
  app.post("/json", async (c) => c.json({ got: await c.req.json() }, 201));
  app.post("/form", async (c) => c.json(await c.req.parseBody()));
  app.put("/text", async (c) => c.text(`length ${(await c.req.text()).length}`));
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1", { path: "/" });
    setCookie(c, "b", "2, with comma", { httpOnly: true });
    setCookie(c, "c", "3", { maxAge: 60, sameSite: "Lax" });
    return c.text("cookies");
  });
  app.get("/redirect", (c) => c.redirect("/users/1?sort=desc"));
  app.get("/moved", (c) => c.redirect("https://example.org/", 301));
  app.get("/error", () => {
    throw new Error("boom");
  });
  app.get("/forbidden", () => {
    throw new HTTPException(403, { message: "no entry" });
  });
  app.get("/empty", (c) => c.body(null, 204));
  app.get("/headers", (c) =>
    c.json({
      ua: c.req.header("user-agent"),
      foo: c.req.header("x-foo-bar"),
      all: c.req.header("accept"),
    }),
  );
  app.use("/etag/*", etag());
  app.get("/etag/data", (c) => c.text("cache me"));
  app.get("/sse", (c) =>
    streamSSE(c, async (sse) => {
      for (let id = 1; id <= 3; id++) {
        await sse.writeSSE({ id: String(id), event: "tick", data: `tick ${id}` });
      }
    }),
  );
  app.get("/large", () => {
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (index * CHUNK >= LARGE_SIZE) controller.close();
        else controller.enqueue(largeChunk(index++));
      },
    });
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
  app.get("/forever", (c) => {
    Object.assign(seen, { writes: 0, aborted: false, cancelled: false });
    c.req.raw.signal.addEventListener("abort", () => {
      seen.aborted = true;
    });
    return stream(c, async (out) => {
      out.onAbort(() => {
        seen.cancelled = true;
      });
      while (!c.req.raw.signal.aborted && !out.aborted) {
        await out.write(new Uint8Array(1024));
        seen.writes++;
        await out.sleep(5);
      }
    });
  });
  app.get("/conn", (c) => c.json({ address: getConnInfo(c).remote.address }));
  app.get("/conn-port", (c) => c.json({ port: getConnInfo(c).remote.port }));
  app.get("/raw/:name", (c) => {
    const url = new URL(c.req.url);
    return c.json({ path: c.req.path, pathname: url.pathname, name: c.req.param("name") });
  });
  app.get("/mount/users/:id", (c) => c.json({ mounted: c.req.param("id"), path: c.req.path }));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    return c.text(`handled: ${error.message}`, 500);
  });
  app.notFound((c) => c.text(`no route for ${c.req.path}`, 404));
  return app;
}
