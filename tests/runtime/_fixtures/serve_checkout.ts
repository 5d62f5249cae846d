// deno-lint-ignore-file no-console
// Serves the checkout's files on a loopback port (printed as the first stdout line) until killed.

const root = new URL("../../../", import.meta.url);
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(port),
}, async (req) => {
  try {
    const body = await Deno.readFile(new URL(`.${new URL(req.url).pathname}`, root));
    return new Response(body, { headers: { "content-type": "application/typescript" } });
  } catch {
    return new Response("not found", { status: 404 });
  }
});
