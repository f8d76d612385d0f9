// A stand-in for Twilio's API as far as attachments go, for the browser
// tests: it serves hostile files (an HTML page and an SVG with script) and
// a picture, and answers anything else 404. Usage: node media-host.mjs PORT
import http from "node:http";

const port = Number(process.argv[2] || 4011);
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082",
  "hex",
);
// What an attacker's MMS could carry: if either ever ran on our origin, it
// would create an API key and raise a dialog.
const ATTACK = `fetch('/api/create_api_key', {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'name=pwned&scope=read_write'}); alert('pwned')`;
const files = {
  "/media/page": ["text/html", `<html><body><h1>Hi</h1><script>${ATTACK}</script></body></html>`],
  "/media/drawing": ["image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg" onload="${ATTACK.replace(/"/g, "&quot;")}"><circle r="5"/></svg>`],
  "/media/photo": ["image/png", PNG],
};

http
  .createServer((req, res) => {
    const f = files[req.url.split("?")[0]];
    if (req.url === "/healthz") {
      res.writeHead(200).end("ok");
    } else if (f) {
      res.writeHead(200, { "content-type": f[0] }).end(f[1]);
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end('{"code":20404,"message":"not found","status":404}');
    }
  })
  .listen(port, "127.0.0.1");
