// A Node ws server for the C++ client's interop tests: prints its port, then serves until stdin
// closes. Paths as in tests/client/peer_server.py: /echo, /fragmented, /ping, /close. --tls CERT KEY: wss.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { WebSocketServer } from 'ws';

const tls = process.argv[2] === '--tls';
const options = { host: '127.0.0.1', port: 0, perMessageDeflate: true, maxPayload: 2 ** 21 };
let wss;
if (tls) {
  const server = createServer({ cert: readFileSync(process.argv[3]), key: readFileSync(process.argv[4]) });
  wss = new WebSocketServer({ server, perMessageDeflate: true, maxPayload: 2 ** 21 });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
} else {
  wss = new WebSocketServer(options, () => console.log(wss.address().port));
}

wss.on('connection', (ws, request) => {
  const path = request.url;
  if (path === '/echo') {
    ws.on('message', (data, binary) => ws.send(data, { binary }));
  } else if (path === '/fragmented') {
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
  } else if (path === '/ping') {
    ws.on('pong', () => ws.send('pong received'));
    ws.ping('are you there');
  } else if (path === '/close') {
    ws.close(4001, 'bye');
  }
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
