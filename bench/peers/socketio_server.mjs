// Socket.IO (v4 server, protocol v5 over Engine.IO v4) peer for `wisp bench hub --protocol
// socketio`: the same request/response as the hub's "echo" type, written the Socket.IO way, an
// "echo" event whose acknowledgement carries the data back. WebSocket transport only, no
// compression, as the other peers.
// Usage: node socketio_server.mjs PORT [PING_INTERVAL_MS]  (a short interval tests the load's pongs)
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] || 9001);
const pingInterval = Number(process.argv[3] || 25000);
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  pingInterval,
  pingTimeout: Math.min(pingInterval, 20000),
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 16 * 1024 * 1024,
});

io.on('connection', (socket) => {
  socket.on('echo', (data, ack) => {
    if (typeof ack === 'function') ack(data);
  });
});

http.listen(port, '127.0.0.1', () => {
  console.log(`socketio_server: listening on 127.0.0.1:${http.address().port}`);
});
