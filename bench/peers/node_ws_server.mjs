// Node `ws` server for wisp's benchmarks, one route per `wisp bench` mode:
//   /fanout  every message goes to every /fanout client, the sender included
//   /ws      an event hub: {"type","data","id"} answered with {"type":"response","data","id"}
//            for type "echo" (the data sent back), else {"type":"error",...}
//   others   echo: every message comes back, text as text, binary as binary
// Usage: node node_ws_server.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 9001);
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  maxPayload: 16 * 1024 * 1024,
  perMessageDeflate: false,
});
const fanout = new Set();

function hub(ws, data) {
  let request;
  try {
    request = JSON.parse(data);
  } catch {
    ws.send(JSON.stringify({ type: 'error', data: { code: 'invalid_json', message: 'not JSON' } }));
    return;
  }
  const reply = request.type === 'echo'
    ? { type: 'response', data: request.data, id: request.id }
    : { type: 'error', data: { code: 'unknown_type', message: String(request.type) }, id: request.id };
  ws.send(JSON.stringify(reply));
}

wss.on('connection', (ws, request) => {
  if (request.url === '/fanout') {
    fanout.add(ws);
    ws.on('close', () => fanout.delete(ws));
    ws.on('message', (data, isBinary) => {
      for (const client of fanout) client.send(data, { binary: isBinary });
    });
  } else if (request.url === '/ws') {
    ws.on('message', (data) => hub(ws, data));
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});
wss.on('listening', () => console.log(`node_ws_server: listening on 127.0.0.1:${port}`));
