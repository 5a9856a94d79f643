import { createServer } from 'node:http';

/**
 * The baseline of bench:tokens: a bare node:http server answering GET /get-token with a JSON body of the same
 * size as the Worker's answer, no framework, no auth, no store.
 */
const size = Number(process.argv[2] ?? 700);
const token = 'x'.repeat(Math.max(1, size - 90));
const body = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_at: new Date().toISOString(), remaining_minutes: 480 });

const server = createServer((req, res) => {
  if (req.url !== '/get-token') {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
