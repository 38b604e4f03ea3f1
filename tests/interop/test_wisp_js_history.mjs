// web/wisp.js recovering a room's messages against a real `wisp serve --room-history`: a
// connection killed mid-stream comes back with its position and sees every message once, in
// order (recovered: true); a server restart loses the in-memory history (recovered: false,
// "epoch changed"). With --redis, two servers on one real redis-server: a client that comes back
// on the other node recovers there.
//
// Run: WISP_BIN=path/to/wisp node --test tests/interop/test_wisp_js_history.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WispClient } from '../../web/wisp.js';
import { startRedis } from '../support/redis_server.mjs';
import { killServer, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch (err) {
  throw new Error(`cannot load 'ws' (run scripts/install-deps, or npm ci in tests/interop): ${err.message}`);
}

const SERVE_ARGS = ['--room-history', '100', '--threads', '2'];

// Runs fn({ connect, restart, server }) with a fresh server; everything is closed afterwards.
function historyTest(name, fn) {
  test(name, { timeout: 60_000 }, async () => {
    const servers = [await startServer(SERVE_ARGS)];
    const clients = [];
    const connect = async () => {
      const client = new WispClient(servers[0].ws('/ws'), { WebSocket, initialDelay: 20, jitter: 0 });
      clients.push(client);
      await withTimeout(client.opened(), 'the client to open');
      return client;
    };
    const restart = async () => servers.push(await startServer(SERVE_ARGS, servers[0].port));
    try {
      await fn({ connect, restart, server: servers[0] });
    } finally {
      for (const client of clients) client.close();
      for (const server of servers) await stopServer(server);
    }
  });
}

function nextRecovery(client) {
  return withTimeout(
    new Promise((resolve) => {
      const stop = client.onRecovery((result) => {
        stop();
        resolve(result);
      });
    }),
    'a recovery',
  );
}

// The chat texts a client hears, and a way to wait until it heard `count` of them.
function listen(client) {
  const texts = [];
  const waiters = [];
  client.on('new_message', (message) => {
    texts.push(message.text);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const heard = async (count) => {
    while (texts.length < count) await withTimeout(new Promise((resolve) => waiters.push(resolve)), `message ${count}`);
  };
  return { texts, heard };
}

const say = (client, from, to) => {
  const sent = [];
  for (let n = from; n <= to; ++n) sent.push(client.request('chat_message', { room: 'lobby', message: `m${n}` }));
  return Promise.all(sent);
};
// Drops the client's TCP without a close handshake (as if the network went away) and waits until it
// noticed; `url`, if given, is where its next connection goes (as a balancer may send it).
async function drop(client, url) {
  const down = new Promise((resolve) => client.onState((state) => state === 'reconnecting' && resolve()));
  if (url) client.url = url;
  client.socket.terminate();
  await withTimeout(down, 'the client to notice');
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

historyTest('a connection killed mid-stream recovers exactly what it missed, in order', async ({ connect }) => {
  const reader = await connect();
  const writer = await connect();
  const joined = await reader.request('join_room', { room: 'lobby' });
  assert.equal(typeof joined.epoch, 'string');
  assert.deepEqual(reader.position('lobby'), { offset: joined.offset, epoch: joined.epoch });
  await writer.request('join_room', { room: 'lobby' });
  const { texts, heard } = listen(reader);
  await say(writer, 1, 20);
  await heard(20);

  const recovery = nextRecovery(reader);
  await drop(reader);
  await say(writer, 21, 50); // sent while the reader is away
  const result = await recovery;
  assert.equal(result.recovered, true, JSON.stringify(result));
  assert.equal(result.epoch, joined.epoch);
  await say(writer, 51, 55);
  await heard(55);
  assert.deepEqual(texts, range(1, 55), 'every message once, in order');
  assert.ok(reader.position('lobby').offset >= result.offset + 5, 'the position follows the live messages');
});

historyTest('after a server restart the history is gone: recovered false, "epoch changed"', async ({ connect, restart, server }) => {
  const reader = await connect();
  const writer = await connect();
  const { epoch } = await reader.request('join_room', { room: 'lobby' });
  await writer.request('join_room', { room: 'lobby' });
  const { heard } = listen(reader);
  await say(writer, 1, 3);
  await heard(3);

  const recovery = nextRecovery(reader);
  await killServer(server);
  await restart();
  const result = await recovery;
  assert.equal(result.recovered, false);
  assert.equal(result.reason, 'epoch changed');
  assert.notEqual(result.epoch, epoch);
  // The writer's re-join may have been announced in the room since: the position only grows.
  assert.equal(reader.position('lobby').epoch, result.epoch);
  assert.ok(reader.position('lobby').offset >= result.offset);
});

test('with --redis, a client that comes back on the other node recovers exactly what it missed', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const args = ['--redis', redis.url, ...SERVE_ARGS];
  const servers = [];
  const clients = [];
  try {
    servers.push(await startServer(args), await startServer(args));
    const connect = async (server) => {
      const client = new WispClient(server.ws('/ws'), { WebSocket, initialDelay: 20, jitter: 0 });
      clients.push(client);
      await withTimeout(client.opened(), 'the client to open');
      return client;
    };
    const reader = await connect(servers[0]);
    const writer = await connect(servers[1]);
    const joined = await reader.request('join_room', { room: 'lobby' });
    assert.equal(typeof joined.epoch, 'string');
    await writer.request('join_room', { room: 'lobby' });
    const { texts, heard } = listen(reader);
    await say(writer, 1, 20);
    await heard(20);

    const recovery = nextRecovery(reader);
    await drop(reader, servers[1].ws('/ws')); // back on the other node
    await say(writer, 21, 50); // sent while the reader is away
    const result = await recovery;
    assert.equal(result.recovered, true, JSON.stringify(result));
    assert.equal(result.epoch, joined.epoch);
    await say(writer, 51, 55);
    await heard(55);
    assert.deepEqual(texts, range(1, 55), 'every message once, in order, across the switch');
  } finally {
    for (const client of clients) client.close();
    for (const server of servers) await stopServer(server);
    await redis.stop();
  }
});
