// The official socket.io-client against `wisp serve` at /socket.io/ (tools/wisp/demo/socketio_echo.cpp):
// events with several arguments and binary ones acked back over every transport, broadcasts and
// rooms across transports; bad input over raw HTTP and WebSocket (Engine.IO's error JSON with
// 400, the session closed, everyone else undisturbed); and connection state recovery
// (`wisp serve --socketio-recovery`): a dropped socket back with its id, rooms and missed events.
//
// Run: WISP_BIN=path/to/wisp node --test tests/interop/test_socketio.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';
import { call, connected, next, onTransport, withSockets } from './socketio_helpers.mjs';

const TEST_MS = 60_000;
const TRANSPORTS = [
  ['default (polling, then the upgrade)', undefined],
  ['websocket', ['websocket']],
  ['polling', ['polling']],
];

function serveTest(name, fn, serverArgs = []) {
  test(name, { timeout: TEST_MS }, async () => {
    const server = await startServer(serverArgs);
    try {
      await withSockets((open) => fn({ server, url: server.http(''), open }));
    } finally {
      await stopServer(server);
    }
  });
}

const eio = (server, query) => server.http(`/socket.io/?EIO=4&${query}`);

async function handshake(server) {
  const res = await fetch(eio(server, 'transport=polling'));
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.equal(body[0], '0');
  return JSON.parse(body.slice(1));
}

async function expectError(res, status, code, message) {
  assert.equal(res.status, status);
  assert.deepEqual(await res.json(), { code, message });
}

for (const [label, transports] of TRANSPORTS) {
  serveTest(`echo acks every argument, binary ones too, over ${label}`, async ({ url, open }) => {
    const s = await connected(open(url, transports ? { transports } : {}));
    if (!transports) await onTransport(s, 'websocket');
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const reply = await call(s, 'echo', 1, 'two', { three: [3] }, null, bytes, { nested: { file: bytes } });
    assert.deepEqual(reply.slice(0, 4), [1, 'two', { three: [3] }, null]);
    assert.ok(Buffer.from(reply[4]).equals(bytes));
    assert.ok(Buffer.from(reply[5].nested.file).equals(bytes));
    assert.deepEqual(await call(s, 'echo'), []);
    const big = 'x'.repeat(200_000);
    assert.deepEqual(await call(s, 'echo', big), [big]);
  });
}

serveTest('broadcasts and rooms reach clients on either transport', async ({ url, open }) => {
  const ws = await connected(open(url, { transports: ['websocket'] }));
  const poll = await connected(open(url, { transports: ['polling'] }));
  const heard = next(ws, 'broadcast');
  poll.emit('broadcast', 'hi', 2);
  assert.deepEqual(await heard, ['hi', 2]);

  assert.deepEqual(await call(ws, 'join', 'r1'), [true]);
  assert.deepEqual(await call(ws, 'join', 'r1'), [false]);
  const inRoom = next(ws, 'news');
  assert.deepEqual(await call(poll, 'to', { room: 'r1', event: 'news', args: ['a', 'b'] }), [1]);
  assert.deepEqual(await inRoom, ['a', 'b']);
  assert.deepEqual(await call(ws, 'leave', 'r1'), [true]);
  assert.deepEqual(await call(poll, 'to', { room: 'r1', event: 'news', args: [] }), [0]);
});

serveTest('bad requests get Engine.IO error JSON with 400; the bad session is closed', async ({ server, url, open }) => {
  await expectError(await fetch(eio(server, 'transport=polling&sid=nope')), 400, 1, 'Session ID unknown');
  await expectError(await fetch(eio(server, 'transport=pigeon')), 400, 0, 'Transport unknown');
  await expectError(await fetch(server.http('/socket.io/?EIO=3&transport=polling')), 400, 5, 'Unsupported protocol version');
  await expectError(await fetch(eio(server, 'transport=polling'), { method: 'POST', body: '40' }), 400, 2, 'Bad handshake method');

  const { sid, pingInterval, pingTimeout, maxPayload, upgrades } = await handshake(server);
  assert.deepEqual([pingInterval, pingTimeout, maxPayload, upgrades], [25000, 20000, 1000000, ['websocket']]);
  await expectError(await fetch(eio(server, `transport=polling&sid=${sid}`), { method: 'POST', body: 'zzz' }), 400, 3, 'Bad request');
  await expectError(await fetch(eio(server, `transport=polling&sid=${sid}`)), 400, 1, 'Session ID unknown');

  const big = await handshake(server);
  const res = await fetch(eio(server, `transport=polling&sid=${big.sid}`), { method: 'POST', body: '4' + 'x'.repeat(1_000_001) });
  assert.equal(res.status, 413);
  await expectError(await fetch(eio(server, `transport=polling&sid=${big.sid}`)), 400, 1, 'Session ID unknown');

  const twice = await handshake(server); // two GETs at once: whichever comes second gets 400
  const both = await Promise.all([0, 1].map(() => fetch(eio(server, `transport=polling&sid=${twice.sid}`))));
  const [held, overlap] = both[0].status === 200 ? both : [both[1], both[0]];
  await expectError(overlap, 400, 3, 'Bad request');
  assert.equal(await held.text(), '1'); // the held GET is told the session closed

  const upgrade = new WebSocket(server.ws('/socket.io/?EIO=4&transport=websocket&sid=nope'));
  const status = await withTimeout(new Promise((resolve) => upgrade.once('unexpected-response', (_, r) => resolve(r.statusCode))), 'the refused upgrade');
  assert.equal(status, 400);

  const s = await connected(open(url));
  assert.deepEqual(await call(s, 'echo', 'still fine'), ['still fine']);
});

serveTest('a malformed Socket.IO packet closes that WebSocket session only', async ({ server, url, open }) => {
  const bystander = await connected(open(url, { transports: ['websocket'] }));
  const raw = new WebSocket(server.ws('/socket.io/?EIO=4&transport=websocket'));
  const frames = [];
  const closed = new Promise((resolve) => raw.once('close', resolve));
  const got = (prefix) => withTimeout(new Promise((resolve) => {
    const check = () => (frames.some((f) => f.startsWith(prefix)) ? resolve() : raw.once('message', check));
    raw.on('message', (data) => frames.push(data.toString()));
    check();
  }), `a frame starting ${prefix}`);
  await got('0{');
  raw.send('40');
  await got('40{');
  raw.send('42["echo",'); // bad JSON
  await withTimeout(closed, 'the session to close');
  assert.deepEqual(await call(bystander, 'echo', 1), [1]);
});

serveTest('a WebSocket message over maxPayload closes that session with 1009', async ({ server, url, open }) => {
  const bystander = await connected(open(url, { transports: ['websocket'] }));
  const raw = new WebSocket(server.ws('/socket.io/?EIO=4&transport=websocket'));
  const code = new Promise((resolve) => raw.once('close', (c) => resolve(c)));
  await withTimeout(new Promise((resolve) => raw.once('message', resolve)), 'the open packet');
  raw.send('4' + 'x'.repeat(1_000_000));
  assert.equal(await withTimeout(code, 'the close'), 1009);
  assert.deepEqual(await call(bystander, 'echo', 'unharmed'), ['unharmed']);
});

serveTest('a flood of handshakes and junk POSTs disturbs no one', async ({ server, url, open }) => {
  const s = await connected(open(url, { transports: ['polling'] }));
  const junk = Array.from({ length: 100 }, async (_, i) => {
    const { sid } = await handshake(server);
    const res = await fetch(eio(server, `transport=polling&sid=${sid}`), { method: 'POST', body: i % 2 ? '4\x1e' : '9' });
    assert.equal(res.status, 400);
  });
  await Promise.all(junk);
  assert.deepEqual(await call(s, 'echo', 'after the flood'), ['after the flood']);
});

// Connection state recovery: the socket's id, rooms and exactly the events it missed come back.
const RECOVERY = ['--socketio-recovery', '1000'];
const stripOffset = (args) => args.slice(0, -1); // the offset socket.io appends to every event

/** Drops the socket's transport (as a network loss does) and resolves once the server parked it. */
async function dropConnection(socket, from) {
  const id = socket.id;
  const gone = withTimeout(new Promise((resolve) => socket.once('disconnect', resolve)), 'the disconnect');
  socket.io.engine.close();
  await gone;
  // The server's side of the drop has no event a client sees: probe until no socket has that id.
  const parked = async () => {
    while ((await call(from, 'to', { room: id, event: 'probe' }))[0] !== 0) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // polling the server's state
    }
  };
  await withTimeout(parked(), 'the server to see the drop');
  return id;
}

serveTest('a dropped socket recovers its id, rooms and exactly the events it missed', async ({ url, open }) => {
  const ada = await connected(open(url, { transports: ['websocket'] }));
  const bob = await connected(open(url, { transports: ['websocket'] }));
  assert.equal(ada.recovered, false);
  assert.deepEqual(await call(ada, 'join', 'r'), [true]);
  const first = next(ada, 'm');
  await call(bob, 'to', { room: 'r', event: 'm', args: [0] });
  const [zero, offset] = await first;
  assert.equal(zero, 0);
  assert.equal(typeof offset, 'string', 'every event carries an offset');

  const id = await dropConnection(ada, bob);
  await call(bob, 'to', { room: 'r', event: 'm', args: [1] });
  await call(bob, 'to', { room: 'elsewhere', event: 'm', args: ['not for ada'] });
  await call(bob, 'to', { room: 'r', event: 'm', args: [2, { two: 2 }] });
  const got = [];
  ada.on('m', (...args) => got.push(stripOffset(args)));
  ada.connect();
  await connected(ada);
  assert.equal(ada.recovered, true);
  assert.equal(ada.id, id);
  const after = next(ada, 'broadcast');
  bob.emit('broadcast', 'after');
  await after;
  assert.deepEqual(got, [[1], [2, { two: 2 }]]);
  const inRoom = next(ada, 'm');
  await call(bob, 'to', { room: 'r', event: 'm', args: [3] });
  assert.deepEqual(stripOffset(await inRoom), [3], 'the room is joined again');
}, RECOVERY);

serveTest('a socket back after max_disconnection_duration connects afresh (recovered false)', async ({ url, open }) => {
  const ada = await connected(open(url, { transports: ['websocket'] }));
  const bob = await connected(open(url, { transports: ['websocket'] }));
  const first = next(ada, 'm');
  await call(bob, 'to', { room: ada.id, event: 'm', args: [0] });
  await first;
  const id = await dropConnection(ada, bob);
  await new Promise((resolve) => setTimeout(resolve, 1300)); // the time allowed passes (1000 ms)
  ada.connect();
  await connected(ada);
  assert.equal(ada.recovered, false);
  assert.notEqual(ada.id, id);
}, RECOVERY);
