// web/wisp.js (the hub's JavaScript client) in Node against a real `wisp serve` and its /ws hub:
// requests matched by id, error envelopes, timeouts, messages sent with an ack (the demo's `ask`),
// reconnection with backoff after the server is killed and started again on the same port,
// re-registering and re-joining rooms.
//
// Run: WISP_BIN=path/to/wisp node --test tests/interop/test_wisp_js.mjs
// Node 20 has no global WebSocket: the client is given the `ws` package's (tests/interop/node_modules).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WispClient, WispError } from '../../web/wisp.js';
import { killServer, nextMessage, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch (err) {
  throw new Error(`cannot load 'ws' (run scripts/install-deps, or npm ci in tests/interop): ${err.message}`);
}

const TEST_MS = 60_000;

// Runs fn({ server, connect }) with a fresh server; every client and server is closed afterwards.
function hubTest(name, fn) {
  test(name, { timeout: TEST_MS }, async () => {
    const servers = [await startServer()];
    const clients = [];
    const connect = async (options = {}) => {
      const client = new WispClient(servers[0].ws('/ws'), { WebSocket, ...options });
      clients.push(client);
      await withTimeout(client.opened(), 'the client to open');
      return client;
    };
    const restart = async () => servers.push(await startServer([], servers[0].port));
    try {
      await fn({ server: servers[0], connect, restart });
    } finally {
      for (const client of clients) client.close();
      for (const server of servers) await stopServer(server);
    }
  });
}

// Resolves with the detail of the next change to `state`.
function nextState(client, state) {
  return withTimeout(
    new Promise((resolve) => {
      const stop = client.onState((s, detail) => {
        if (s !== state) return;
        stop();
        resolve(detail);
      });
    }),
    `state ${state}`,
  );
}

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

hubTest('the welcome message gives the client id; echo answers with the request data', async ({ connect }) => {
  const [a, b] = [await connect(), await connect()];
  const idOf = async (c) => c.clientId ?? (await nextMessage(c, 'welcome')).client_id;
  const [idA, idB] = [await idOf(a), await idOf(b)];
  assert.match(idA, /./);
  assert.notEqual(idA, idB);
  assert.equal(a.clientId, idA);
  const data = { text: 'héllo ✓', list: [1, 2, { deep: true }], n: null };
  assert.deepEqual(await a.request('echo', data), data);
  assert.equal(await a.request('echo', 'a string'), 'a string');
});

hubTest('responses are matched to requests by id, whatever order they come in', async ({ connect }) => {
  const c = await connect();
  // The slow one is asked first and answered last: each promise must still get its own answer.
  const slow = c.request('delay', { ms: 300 });
  const fast = c.request('delay', { ms: 0 });
  const echoes = ['one', 'two', 'three'].map((word) => c.request('echo', { word }));
  const order = [];
  slow.then(() => order.push('slow'));
  fast.then(() => order.push('fast'));
  assert.deepEqual(await fast, { waited_ms: 0 });
  assert.deepEqual(await slow, { waited_ms: 300 });
  assert.deepEqual(order, ['fast', 'slow']);
  assert.deepEqual(await Promise.all(echoes), [{ word: 'one' }, { word: 'two' }, { word: 'three' }]);
});

hubTest("error envelopes reject with the hub's code and message", async ({ connect }) => {
  const c = await connect();
  const unknown = await rejection(c.request('no_such_type', {}));
  assert.ok(unknown instanceof WispError);
  assert.equal(unknown.code, 'unknown_type');
  const noRoom = await rejection(c.request('join_room', {}));
  assert.equal(noRoom.code, 'room_required');
  assert.equal(noRoom.message, 'Room name is required');
  assert.equal(noRoom.data.code, 'room_required');
  const notMember = await rejection(c.request('chat_message', { room: 'nowhere', message: 'hi' }));
  assert.equal(notMember.code, 'no_such_room');
  // Errors leave the connection open.
  assert.equal(await c.request('echo', 1), 1);
});

hubTest('a request unanswered in time rejects with "timeout"; the late answer is ignored', async ({ connect }) => {
  const c = await connect();
  const late = await rejection(c.request('delay', { ms: 400 }, { timeout: 50 }));
  assert.equal(late.code, 'timeout');
  // The late answer arrives during this wait and must not disturb the next requests.
  assert.deepEqual(await c.request('delay', { ms: 600 }), { waited_ms: 600 });
  assert.equal(await c.request('echo', 'after'), 'after');
});

hubTest('chat: join_room answers with history and members; others get new_message and room_update', async ({ server, connect }) => {
  const [ada, bob] = [await connect(), await connect()];
  await ada.request('register', { username: 'ada' });
  await bob.request('register', { username: 'bob' });
  await ada.request('join_room', { room: 'lobby' });
  await ada.request('chat_message', { room: 'lobby', message: 'first' });
  const joined = nextMessage(ada, 'room_update');
  const reply = await bob.request('join_room', { room: 'lobby' });
  assert.equal(reply.status, 'joined');
  assert.equal(reply.members, 2);
  assert.deepEqual(reply.history.map((m) => [m.sender, m.text]), [['ada', 'first']]);
  assert.deepEqual(await joined, { user: 'bob', action: 'joined', room: 'lobby' });
  const heard = nextMessage(bob, 'new_message');
  const sent = await ada.request('chat_message', { room: 'lobby', message: 'hello bob' });
  const message = await heard;
  assert.equal(message.id, sent.message_id);
  assert.deepEqual([message.sender, message.text, message.room], ['ada', 'hello bob', 'lobby']);
  assert.deepEqual(ada.rooms, ['lobby']);
  const left = nextMessage(ada, 'room_update');
  assert.deepEqual(await bob.request('leave_room', { room: 'lobby' }), { status: 'left', room: 'lobby' });
  assert.deepEqual(await left, { user: 'bob', action: 'left', room: 'lobby' });
  assert.deepEqual(bob.rooms, [], 'a room left is not joined again after a reconnect');
  assert.equal((await rejection(bob.request('chat_message', { room: 'lobby', message: 'x' }))).code, 'not_a_member');
  const { rooms } = await (await fetch(server.http('/api/rooms'))).json();
  assert.deepEqual(rooms.map((r) => [r.name, r.members, r.message_count]), [['lobby', 1, 2]]);
});

hubTest(
  'reconnection: after a kill and a restart on the same port, clients back off, re-register and re-join',
  async ({ server, connect, restart }) => {
    const options = { initialDelay: 40, factor: 2, maxDelay: 300, jitter: 0 };
    const [ada, bob] = [await connect(options), await connect(options)];
    await ada.request('register', { username: 'ada' });
    await bob.request('register', { username: 'bob' });
    await ada.request('join_room', { room: 'lobby' });
    await bob.request('join_room', { room: 'lobby' });
    await ada.request('join', { room: '$metrics' });
    const firstId = ada.clientId;

    // Both backing off: the delays double from 40 ms up to 300 (no jitter here, to check them).
    const delays = [];
    const enoughAttempts = withTimeout(
      new Promise((resolve) => ada.onState((state, d) => state === 'reconnecting' && delays.push(d.delay) >= 5 && resolve())),
      'five reconnection attempts',
    );
    const inFlight = rejection(ada.request('delay', { ms: 5000 }));
    const bobDown = nextState(bob, 'reconnecting');
    await killServer(server);
    assert.equal((await inFlight).code, 'disconnected');
    assert.equal((await bobDown).code, 1006);
    await enoughAttempts;
    assert.deepEqual(delays.slice(0, 5), [40, 80, 160, 300, 300]);

    // Sent while down: queued, and sent once the connection is back.
    const queued = ada.request('echo', 'queued while down');
    const resumed = [ada, bob].map((c) => withTimeout(new Promise((resolve) => c.onResume(resolve)), 'the resume answers'));
    const reopened = nextState(ada, 'open');
    await restart();
    assert.deepEqual(await reopened, { reconnected: true });
    assert.equal(await queued, 'queued while down');
    const [adaAnswers, bobAnswers] = await Promise.all(resumed);
    assert.deepEqual(adaAnswers.map((a) => [a.type, a.error?.code]), [['register', undefined], ['join_room', undefined], ['join', undefined]]);
    assert.equal(adaAnswers[0].response.username, 'ada');
    const members = [adaAnswers[1], bobAnswers[1]].map((a) => a.response.members).sort();
    assert.deepEqual(members, [1, 2], 'whichever came back second found the other in lobby');
    assert.notEqual(ada.clientId, firstId, 'a new connection, a new client id');

    // The new server knows who they are and where: a message reaches the other member.
    const heard = nextMessage(bob, 'new_message');
    await ada.request('chat_message', { room: 'lobby', message: 'back again' });
    assert.deepEqual(((m) => [m.sender, m.text])(await heard), ['ada', 'back again']);
    assert.equal(typeof (await nextMessage(ada, 'metrics')).websockets, 'number', 'the dashboard room was joined again');
  },
);

hubTest('after `attempts` failed reconnections the client closes and rejects what waits', async ({ server, connect }) => {
  const c = await connect({ initialDelay: 10, attempts: 2, jitter: 0 });
  const [down, closed] = [nextState(c, 'reconnecting'), nextState(c, 'closed')];
  await killServer(server);
  await down; // from here on, requests wait in the queue
  const waiting = rejection(c.request('echo', 'never sent'));
  await closed;
  assert.equal((await waiting).code, 'closed');
  assert.throws(() => c.send('echo', 1), (e) => e.code === 'closed');
  await assert.rejects(c.opened(), (e) => e.code === 'closed');
});

hubTest('while connecting, messages queue up to queueLimit; close() rejects them, and nothing throws later', async ({ server }) => {
  const c = new WispClient(server.ws('/ws'), { WebSocket, queueLimit: 2 });
  const socket = c.socket; // still connecting
  const queued = rejection(c.request('echo', 1));
  c.send('echo', 2);
  assert.throws(() => c.send('echo', 3), (e) => e instanceof WispError && e.code === 'queue_full');
  c.close();
  assert.equal((await queued).code, 'closed');
  assert.equal(c.state, 'closed');
  // ws reports closing a connecting socket as an error event, then closes it: it must be handled.
  await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 'the socket to close');
});

// A `ws` server that closes every connection at once with `code`: what the client does next is
// up to the close code alone.
test('a close the server meant (1000, 1008) ends the client; 1011 is retried', { timeout: TEST_MS }, async () => {
  const { WebSocketServer } = await import('ws');
  const servers = [];
  try {
    for (const [code, expected] of [[1000, 'closed'], [1008, 'closed'], [1011, 'reconnecting']]) {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      servers.push(server);
      await withTimeout(new Promise((resolve) => server.once('listening', resolve)), 'the ws server');
      server.on('connection', (socket) => socket.close(code, 'bye'));
      const client = new WispClient(`ws://127.0.0.1:${server.address().port}/`, { WebSocket, initialDelay: 10 });
      const states = [];
      const after = withTimeout(
        new Promise((resolve) => client.onState((state, detail) => {
          states.push(state);
          if (state !== 'open') resolve(detail);
        })),
        `the client's state after close ${code}`,
      );
      const detail = await after;
      client.close();
      assert.deepEqual(states.slice(0, 2), ['open', expected], `after close ${code}`);
      assert.equal(detail.code, code);
    }
  } finally {
    for (const server of servers) server.close();
  }
});

hubTest("a message sent with an ack is answered by ack() or by an async handler's result", async ({ connect }) => {
  const c = await connect();
  c.on('double', (n, message, ack) => {
    assert.notEqual(message.ack, undefined);
    ack(n * 2);
    ack('a second answer is not sent');
  });
  c.on('shout', async (text) => `${text}!`);
  assert.deepEqual(await c.request('ask', { type: 'double', data: 21 }), { answer: 42 });
  assert.deepEqual(await c.request('ask', { type: 'shout', data: 'hi' }), { answer: 'hi!' });
});

hubTest('a failing handler, a type nobody handles and a handler that never answers', async ({ connect }) => {
  const c = await connect();
  c.on('refuse', async () => {
    throw new WispError('not_now', 'busy');
  });
  c.on('crash', async () => {
    throw new Error('boom');
  });
  c.on('silent', () => {});
  assert.deepEqual(await c.request('ask', { type: 'refuse' }), { error: 'not_now', data: { code: 'not_now', message: 'busy' } });
  assert.deepEqual(await c.request('ask', { type: 'crash' }), { error: 'handler_error', data: { code: 'handler_error', message: 'boom' } });
  assert.equal((await c.request('ask', { type: 'nobody_handles' })).error, 'unknown_type');
  assert.deepEqual(await c.request('ask', { type: 'silent', timeout_ms: 100 }), { error: 'timeout', data: null });
});
