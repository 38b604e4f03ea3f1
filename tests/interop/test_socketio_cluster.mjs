// The official socket.io-client against two `wisp serve` nodes sharing a real Redis: room emits,
// broadcasts, exceptions and emits to a socket id reach the sockets of both nodes; a node killed
// leaves the other working; after a Redis restart the nodes' rooms work again. And the rooms the
// Socket.IO server shares with the demo's hub (/ws): wisp.js clients and Socket.IO clients in one
// room hear each other's room emits, across the two nodes.
//
// Run: WISP_BIN=path/to/wisp node --test tests/interop/test_socketio_cluster.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { WispClient } from '../../web/wisp.js';
import { startRedis } from '../support/redis_server.mjs';
import { killServer, nextMessage, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';
import { call, connected, next, withSockets } from './socketio_helpers.mjs';

const TEST_MS = 60_000;

const node = (redis, id) => startServer(['--redis', redis.url, '--node-id', id]);

// Runs fn({ redis, a, b, open, wisp }) with a fresh Redis and two nodes on it; everything is
// closed afterwards. open(server, options) makes a Socket.IO socket (websocket only: each test
// is about the nodes, not the transports, which test_socketio.mjs covers).
function clusterTest(name, fn) {
  test(name, { timeout: TEST_MS }, async () => {
    const redis = await startRedis();
    const servers = [];
    const clients = [];
    try {
      servers.push(await node(redis, 'a'), await node(redis, 'b'));
      const wisp = async (server) => {
        const client = new WispClient(server.ws('/ws'), { WebSocket });
        clients.push(client);
        await withTimeout(client.opened(), 'the wisp.js client to open');
        return client;
      };
      await withSockets((open) =>
        fn({
          redis,
          a: servers[0],
          b: servers[1],
          open: (server) => connected(open(server.http(''), { transports: ['websocket'] })),
          wisp,
        }),
      );
    } finally {
      for (const client of clients) client.close();
      for (const server of servers) await stopServer(server);
      await redis.stop();
    }
  });
}

// Every `event` a socket gets, in order (an array of argument arrays).
function record(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args));
  return got;
}

const join = async (socket, room) => assert.deepEqual(await call(socket, 'join', room), [true]);
const to = (socket, message) => call(socket, 'to', message);

// A broadcast from `from` heard by each of `sockets`: what was sent to them before it (by the
// same node, on the same channel) has arrived by then.
async function flush(from, ...sockets) {
  const heard = sockets.map((s) => next(s, 'broadcast'));
  from.emit('broadcast', 'flush');
  await Promise.all(heard);
}

// Resolves once the node's /healthz says its broker is up.
async function brokerUp(server) {
  const up = async () => {
    for (;;) {
      const health = await (await fetch(server.http('/healthz'))).json();
      if (health.broker.up) return;
      await new Promise((resolve) => setTimeout(resolve, 50)); // polling a state that has no event
    }
  };
  await withTimeout(up(), 'the broker to be up again');
}

clusterTest('room emits, broadcasts, exceptions and socket ids reach the sockets of both nodes', async ({ a, b, open }) => {
  const [ada, bob, cal, dan] = await Promise.all([open(a), open(b), open(b), open(a)]);
  await join(ada, 'r');
  await join(bob, 'r');
  await join(dan, 'r');
  const adaGot = record(ada, 'hi');
  const calGot = record(cal, 'hi');
  const bobHears = next(bob, 'hi');
  const danHears = next(dan, 'hi');
  // socket.to(room): everyone in the room on both nodes but the sender; the node counts its own.
  assert.deepEqual(await to(ada, { room: 'r', event: 'hi', args: [1, 'two', { three: 3 }] }), [1]);
  assert.deepEqual(await bobHears, [1, 'two', { three: 3 }]);
  assert.deepEqual(await danHears, [1, 'two', { three: 3 }]);
  // broadcast from node A reaches node B's sockets too; by then nothing else came.
  await flush(ada, bob, cal, dan);
  assert.deepEqual(adaGot, [], 'the sender is left out');
  assert.deepEqual(calGot, [], 'a socket outside the room gets nothing');

  // except a socket id on the other node; an emit to a socket id on the other node.
  const bobGot = record(bob, 'not bob');
  const danHearsToo = next(dan, 'not bob');
  await to(ada, { room: 'r', event: 'not bob', args: ['x'], except: bob.id });
  assert.deepEqual(await danHearsToo, ['x']);
  const direct = next(cal, 'direct');
  await to(dan, { room: cal.id, event: 'direct', args: [{ to: 'cal' }] });
  assert.deepEqual(await direct, [{ to: 'cal' }]);
  await flush(ada, bob);
  assert.deepEqual(bobGot, [], 'the excepted socket on the other node gets nothing');

  // binary arguments cross nodes as attachments.
  const bytes = Buffer.from([0, 1, 2, 254, 255]);
  const binary = next(bob, 'bin');
  await to(dan, { room: 'r', event: 'bin', args: ['b', bytes] });
  const [label, got] = await binary;
  assert.equal(label, 'b');
  assert.deepEqual(Buffer.from(got), bytes);
});

clusterTest('a node killed leaves the other going; after Redis restarts the nodes share rooms again', async ({ redis, a, b, open }) => {
  const [ada, bob, cal] = await Promise.all([open(a), open(b), open(b)]);
  for (const s of [ada, bob, cal]) await join(s, 'r');
  const gone = withTimeout(new Promise((resolve) => ada.once('disconnect', resolve)), 'the socket on the killed node to drop');
  await killServer(a);
  await gone;
  const calHears = next(cal, 'still');
  assert.deepEqual(await to(bob, { room: 'r', event: 'still', args: ['here'] }), [1]);
  assert.deepEqual(await calHears, ['here']);

  // A new node C on a restarted Redis (same port): B's broker reconnects and listens again.
  await redis.stop();
  const again = await startRedis(redis.port);
  redis.stop = again.stop;
  const c = await node(again, 'c');
  await brokerUp(b);
  await brokerUp(c);
  const dan = await open(c);
  await join(dan, 'r');
  const danHears = next(dan, 'again');
  const bobHears = next(bob, 'from c');
  await to(cal, { room: 'r', event: 'again', args: [1] });
  assert.deepEqual(await danHears, [1]);
  await to(dan, { room: 'r', event: 'from c', args: [2] });
  assert.deepEqual(await bobHears, [2]);
  await stopServer(c);
});

clusterTest("Socket.IO and wisp.js clients share the demo hub's rooms, both ways, across nodes", async ({ a, b, open, wisp }) => {
  const ada = await wisp(a); // a wisp.js client on node A
  await ada.request('register', { username: 'ada' });
  await ada.request('join_room', { room: 'lobby' });
  const [bob, cal] = await Promise.all([open(b), open(a)]); // Socket.IO on node B and on node A
  await join(bob, 'lobby');
  await join(cal, 'lobby');

  // hub -> Socket.IO: the chat's room emit {type, data} is event `type` with the one argument data.
  const bobHears = next(bob, 'new_message');
  const calHears = next(cal, 'new_message');
  await ada.request('chat_message', { room: 'lobby', message: 'hello sockets' });
  const [[toBob], [toCal]] = await Promise.all([bobHears, calHears]);
  assert.equal(toBob.text, 'hello sockets');
  assert.equal(toBob.sender, 'ada');
  assert.deepEqual(toCal, toBob);

  // Socket.IO -> hub: one argument is the data, several are their array; the Socket.IO side
  // gets it once (the hub does not send it back).
  const one = nextMessage(ada, 'sio_one');
  await to(bob, { room: 'lobby', event: 'sio_one', args: [{ x: 1 }] });
  assert.deepEqual(await one, { x: 1 });
  const calGot = record(cal, 'sio_many');
  const many = nextMessage(ada, 'sio_many');
  await to(bob, { room: 'lobby', event: 'sio_many', args: [1, 'two'] });
  assert.deepEqual(await many, [1, 'two']);
  await flush(bob, cal);
  assert.deepEqual(calGot, [[1, 'two']], 'the Socket.IO socket got the emit once');
});
