// Socket.IO (v4 server, protocol v5) fan-out peer for `wisp bench fanout --protocol socketio`,
// the Socket.IO counterpart of `wisp serve --redis URL`'s /fanout: every "fanout" event a client
// sends is emitted to every client on every node (the sender included), through
// @socket.io/redis-adapter when a Redis URL is given (several of these processes sharing one Redis
// are one server), else through the default in-memory adapter. WebSocket transport only, no
// compression, as the other peers.
// Usage: node socketio_redis_fanout.mjs PORT [REDIS_URL]
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const port = Number(process.argv[2] || 9001);
const redisUrl = process.argv[3];

async function redisAdapter(url) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) {
    client.on('error', (error) => console.error(`socketio_redis_fanout: redis: ${error.message}`));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  return createAdapter(pub, sub);
}

const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  maxHttpBufferSize: 16 * 1024 * 1024,
  ...(redisUrl ? { adapter: await redisAdapter(redisUrl) } : {}),
});

io.on('connection', (socket) => {
  socket.on('fanout', (data) => io.emit('fanout', data));
});

http.listen(port, '127.0.0.1', () => {
  const via = redisUrl ? ` (redis adapter on ${redisUrl})` : '';
  console.log(`socketio_redis_fanout: listening on 127.0.0.1:${http.address().port}${via}`);
});
