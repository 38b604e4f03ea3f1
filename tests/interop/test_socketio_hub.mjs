// examples/socketio_hub.cpp on two nodes sharing a real Redis: a wisp.js client on one node and
// the official socket.io-client on the other in one room hear each other's `say`; the Socket.IO
// client's connection drops meanwhile and it recovers what it missed (socket.recovered).
//
// Run: SOCKETIO_HUB_BIN=path/to/example_socketio_hub node --test tests/interop/test_socketio_hub.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { WispClient } from '../../web/wisp.js';
import { startRedis } from '../support/redis_server.mjs';
import { startProgram, stopServer, withTimeout } from '../support/wisp_serve.mjs';
import { call, connected, next, withSockets } from './socketio_helpers.mjs';

const BIN = process.env.SOCKETIO_HUB_BIN;
if (!BIN) throw new Error('set SOCKETIO_HUB_BIN to example_socketio_hub');

function nextHub(client, type) {
  return withTimeout(new Promise((resolve) => client.on(type, resolve)), `a ${type} message`);
}

test('wisp.js and Socket.IO clients on two nodes share a room; a dropped Socket.IO client recovers', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const nodes = [];
  let ada;
  try {
    nodes.push(await startProgram(BIN, ['0', redis.url]), await startProgram(BIN, ['0', redis.url]));
    ada = new WispClient(nodes[0].ws('/ws'), { WebSocket });
    await withTimeout(ada.opened(), 'wisp.js to open');
    await ada.request('join', { room: 'lobby' });
    await withSockets(async (open) => {
      const bob = await connected(open(nodes[1].http(''), { transports: ['websocket'] }));
      assert.deepEqual(await call(bob, 'join', 'lobby'), [true]);

      const toBob = next(bob, 'said');
      await ada.request('say', { room: 'lobby', text: 'from wisp.js' });
      const [said, offset] = await toBob;
      assert.equal(said.text, 'from wisp.js');
      assert.equal(typeof offset, 'string', 'recovery is on: every event carries an offset');

      const toAda = nextHub(ada, 'said');
      await call(bob, 'say', { room: 'lobby', text: 'from socket.io' });
      assert.equal((await toAda).text, 'from socket.io');

      // Bob's connection drops; what Ada says meanwhile reaches him once he is back.
      const gone = withTimeout(new Promise((resolve) => bob.once('disconnect', resolve)), 'the drop');
      bob.io.engine.close();
      await gone;
      await ada.request('say', { room: 'lobby', text: 'while you were away' });
      const missed = next(bob, 'said');
      bob.connect();
      await connected(bob);
      assert.equal(bob.recovered, true);
      assert.equal((await missed)[0].text, 'while you were away');
    });
  } finally {
    ada?.close();
    for (const node of nodes) await stopServer(node);
    await redis.stop();
  }
});
