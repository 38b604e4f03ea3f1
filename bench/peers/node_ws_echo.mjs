// Node `ws` echo server for wisp's benchmarks: any path; text stays text, binary stays binary.
// Usage: node node_ws_echo.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 9001);
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  maxPayload: 16 * 1024 * 1024,
  perMessageDeflate: false,
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`node_ws_echo: listening on 127.0.0.1:${port}`));
