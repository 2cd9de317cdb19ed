// The app of the container tests: what a user's app is to predeploy. It
// serves /healthz on $PORT (default 3000), says how it was started (its pid,
// whether DATABASE_URL reached it) and, on SIGTERM, says so and exits 0, so
// the tests see that the signal reached the app itself.
const http = require("http");
const port = Number(process.env.PORT || 3000);
const server = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" });
  res.end(req.url === "/healthz" ? "ok\n" : "not found\n");
});
server.listen(port, () => {
  console.log(`app listening pid=${process.pid} port=${port} database_url=${process.env.DATABASE_URL ? "set" : "unset"}`);
});
process.on("SIGTERM", () => {
  console.log(`app got SIGTERM pid=${process.pid}`);
  server.close(() => process.exit(0));
});
