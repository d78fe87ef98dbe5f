// Echoes the request: one JSON line (method, script_name, path_info, query, content type,
// HTTP_* headers, body length), a newline, then the request body byte for byte.
//
// It reads the WHOLE body before writing anything: Apache's mod_cgi writes the whole request
// body to the script before it reads the script's output, so answering early can deadlock.
// Environ strings are byte strings (latin-1); JSON goes out as UTF-8, so a PATH_INFO byte 0xFF
// shows up as "\u00ff" after JSON.parse.
export default async function echo(environ, startResponse) {
  const body = await environ["tsgi.input"].read();
  const headers = {};
  for (const [name, value] of Object.entries(environ)) {
    if (name.startsWith("HTTP_")) headers[name] = value;
  }
  const meta = {
    method: environ.REQUEST_METHOD,
    script_name: environ.SCRIPT_NAME,
    path_info: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    content_type: environ.CONTENT_TYPE ?? null,
    url_scheme: environ["tsgi.url_scheme"],
    headers,
    body_length: body.length,
  };
  const head = new TextEncoder().encode(`${JSON.stringify(meta)}\n`);
  startResponse("200 OK", [
    ["Content-Type", "application/octet-stream"],
    ["Content-Length", String(head.length + body.length)],
  ]);
  return [head, body];
}
