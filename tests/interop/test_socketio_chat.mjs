// Seed 004's Socket.IO server (examples/socketio_chat.cpp) driven by the official socket.io-client,
// as the seed's React client uses it: auth refused and accepted, rooms, messages, typing
// indicators, the notices of clients that leave (with Socket.IO's disconnect reasons), a
// server-side emit with an ack, a namespace of its own, and reconnection after a restart.
//
// Run: SOCKETIO_CHAT_BIN=path/to/example_socketio_chat node --test tests/interop/test_socketio_chat.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killServer, startProgram, stopServer, withTimeout } from '../support/wisp_serve.mjs';
import { call, connected, next, onTransport, refused, withSockets } from './socketio_helpers.mjs';

const BIN = process.env.SOCKETIO_CHAT_BIN;
if (!BIN) throw new Error('set SOCKETIO_CHAT_BIN to example_socketio_chat');
const TEST_MS = 60_000;

// Runs fn({ url, server, open, restart }) against a fresh example (ping interval/timeout in ms).
function chatTest(name, fn, ping = []) {
  test(name, { timeout: TEST_MS }, async () => {
    const servers = [await startProgram(BIN, ['0', ...ping])];
    const url = `http://127.0.0.1:${servers[0].port}`;
    const restart = async () => {
      const again = await startProgram(BIN, [String(servers[0].port), ...ping], { port: servers[0].port });
      servers.push(again);
      return again;
    };
    try {
      await withSockets((open) => fn({ url, server: servers[0], open, restart }));
    } finally {
      for (const server of servers) await stopServer(server);
    }
  });
}

const ada = { auth: { token: 't-ada' } };
const bob = { auth: { token: 't-bob' } };

chatTest('io.use refuses without a token and with a bad one; connect_error shows the message', async ({ url, open }) => {
  const none = await refused(open(url, { transports: ['websocket'] }));
  assert.equal(none.message, 'Authentication required');
  const bad = await refused(open(url, { auth: { token: 'nope' } }));
  assert.equal(bad.message, 'Invalid token');
  assert.deepEqual(bad.data, { token: 'nope' });
  const good = await connected(open(url, ada));
  assert.deepEqual(await call(good, 'whoami'), [{ id: 'ada' }]);
});

for (const [label, options] of [
  ['the default transports (polling, then the upgrade)', {}],
  ["transports: ['websocket']", { transports: ['websocket'] }],
  ["transports: ['polling']", { transports: ['polling'] }],
]) {
  chatTest(`rooms, messages and typing over ${label}`, async ({ url, open }) => {
    const a = await connected(open(url, { ...ada, ...options }));
    const b = await connected(open(url, { ...bob, ...options }));
    if (!options.transports) {
      await onTransport(a, 'websocket');
      assert.equal(a.io.engine.transport.name, 'websocket');
    }
    assert.deepEqual(await call(a, 'join:room', 'lobby'), ['lobby']);
    const joined = next(a, 'user:joined');
    assert.deepEqual(await call(b, 'join:room', 'lobby'), ['lobby']);
    assert.deepEqual(await joined, [{ userId: 'bob', roomId: 'lobby' }]);

    const toA = next(a, 'message:received');
    const toB = next(b, 'message:received');
    b.emit('message:send', { roomId: 'lobby', content: 'hello' });
    const [[got], [echoed]] = await Promise.all([toA, toB]);
    assert.equal(got.content, 'hello');
    assert.equal(got.userId, 'bob');
    assert.deepEqual(echoed, got);

    const typing = next(a, 'user:typing');
    b.emit('typing:start', 'lobby');
    assert.deepEqual(await typing, [{ userId: 'bob', isTyping: true }]);
    const stopped = next(a, 'user:typing');
    b.emit('typing:stop', 'lobby');
    assert.deepEqual(await stopped, [{ userId: 'bob', isTyping: false }]);

    const left = next(a, 'user:left');
    b.emit('leave:room', 'lobby');
    assert.deepEqual(await left, [{ userId: 'bob', roomId: 'lobby' }]);
  });
}

chatTest('a room hears why a member left: client disconnect, transport close', async ({ url, open }) => {
  const a = await connected(open(url, ada));
  const b = await connected(open(url, { ...bob, transports: ['websocket'] }));
  const c = await connected(open(url, { ...bob, transports: ['polling'] }));
  for (const s of [a, b, c]) await call(s, 'join:room', 'lobby');

  let left = next(a, 'user:left');
  b.disconnect();
  assert.deepEqual(await left, [{ userId: 'bob', roomId: 'lobby', reason: 'client namespace disconnect' }]);

  left = next(a, 'user:left');
  c.io.engine.close(); // the transport goes away without a Socket.IO DISCONNECT
  assert.deepEqual(await left, [{ userId: 'bob', roomId: 'lobby', reason: 'transport close' }]);
});

chatTest('a client that stops answering pings is dropped: "ping timeout"', async ({ url, open }) => {
  const a = await connected(open(url, ada));
  const b = await connected(open(url, { ...bob, transports: ['websocket'] }));
  await call(a, 'join:room', 'lobby');
  await call(b, 'join:room', 'lobby');
  const engine = b.io.engine;
  const send = engine._sendPacket.bind(engine); // engine.io-client's own (socket.js answers a ping with it)
  engine._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : send(type, ...rest)); // b goes deaf
  const [notice] = await next(a, 'user:left');
  assert.deepEqual(notice, { userId: 'bob', roomId: 'lobby', reason: 'ping timeout' });
}, ['200', '300']);

chatTest('the server emits with an ack: the answer comes back, and a silent client times out', async ({ url, open }) => {
  for (const transports of [['websocket'], ['polling']]) {
    const a = await connected(open(url, { ...ada, transports }));
    a.once('question', (text, ack) => ack(`${text} 42`, { sure: true }));
    let result = next(a, 'quiz:result');
    a.emit('quiz', 5000);
    assert.deepEqual(await result, [{ answer: ['6 x 7? 42', { sure: true }] }]);
    a.once('question', () => {}); // no answer
    result = next(a, 'quiz:result');
    a.emit('quiz', 100);
    assert.deepEqual(await result, [{ error: 'timeout' }]);
  }
});

chatTest('the /admin namespace: its own middleware, its own events', async ({ url, open }) => {
  const admin = await connected(open(`${url}/admin`, ada));
  const [stats] = await call(admin, 'stats');
  assert.ok(stats.sockets >= 1);
  const err = await refused(open(`${url}/admin`, bob));
  assert.equal(err.message, 'Admins only');
  const unknown = await refused(open(`${url}/nowhere`, ada));
  assert.equal(unknown.message, 'Invalid namespace');
});

for (const transports of [['websocket'], ['polling', 'websocket']]) {
  chatTest(`the client reconnects after the server restarts (${transports})`, async ({ url, server, open, restart }) => {
    const a = open(url, { ...ada, transports, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    a.on('connect', () => a.emit('join:room', 'lobby')); // the seed's client re-joins on every connect
    await connected(a);
    const gone = next(a, 'disconnect');
    await killServer(server);
    const [reason] = await gone;
    assert.ok(['transport close', 'transport error'].includes(reason), `disconnect reason ${reason}`);
    const again = await restart();
    await connected(a);
    assert.deepEqual(await call(a, 'whoami'), [{ id: 'ada' }]);
    const other = await connected(open(`http://127.0.0.1:${again.port}`, bob));
    await call(other, 'join:room', 'lobby');
    const heard = next(a, 'message:received');
    other.emit('message:send', { roomId: 'lobby', content: 'welcome back' });
    assert.equal((await heard)[0].content, 'welcome back');
  });
}
