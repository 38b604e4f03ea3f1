// Interop: the Node `ws` client (npm) against `wisp serve`'s /echo.
//
// Run: WISP_BIN=path/to/wisp node --test tests/interop/test_node_client.mjs
// (`ws` comes from tests/interop/node_modules: run scripts/install-deps or `npm ci` there first.)
//
// Every test starts its own `wisp serve --host 127.0.0.1 --port 0`, reads the port from the first
// stdout line and stops the server by PID when it is done (also when the test fails). Every wait has
// a timeout, so a hung server fails the test instead of hanging the run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEP_MS, exited, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch (err) {
  throw new Error(`cannot load 'ws' (run scripts/install-deps, or npm ci in tests/interop): ${err.message}`);
}

const TEST_MS = 60_000; // any whole test
const MIB = 1 << 20;

// A CA and a server certificate for 127.0.0.1 and localhost, made by the openssl command.
function makePki() {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-interop-tls-'));
  const path = (name) => join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore', timeout: STEP_MS });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=wisp-interop-ca', '-keyout', path('ca.key'), '-out', path('ca.crt'));
  writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path('server.key'));
  openssl('req', '-new', '-key', path('server.key'), '-subj', '/CN=localhost', '-out', path('server.csr'));
  openssl('x509', '-req', '-days', '2', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'),
    '-CAcreateserial', '-extfile', path('server.ext'), '-out', path('server.crt'));
  return {
    args: ['--tls-cert', path('server.crt'), '--tls-key', path('server.key')],
    ca: readFileSync(path('ca.crt')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// `wisp serve` with `url` its /echo; with `ca`, it speaks TLS and clients trust that CA only.
async function startEchoServer(extraArgs = [], ca = null) {
  const server = await startServer(extraArgs);
  return { ...server, url: server.ws('/echo'), clientOptions: ca ? { ca } : {} };
}

// A client on the server's /echo with a queue of received messages and a promise of its close.
async function connect(server) {
  const ws = new WebSocket(server.url, server.clientOptions);
  const inbox = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const msg = { data, isBinary };
    const w = waiters.shift();
    if (w) w(msg);
    else inbox.push(msg);
  });
  ws.on('error', () => {}); // reported through 'close' and the assertions
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }),
    `connect to ${server.url}`,
  );
  const client = {
    ws,
    closed: (what = 'the close') => withTimeout(closed, what),
    next(what = 'a message') {
      if (inbox.length) return Promise.resolve(inbox.shift());
      return withTimeout(
        Promise.race([
          new Promise((resolve) => waiters.push(resolve)),
          closed.then(({ code }) => {
            throw new Error(`connection closed (${code}) while waiting for ${what}`);
          }),
        ]),
        what,
      );
    },
    send(data, opts = {}) {
      return withTimeout(
        new Promise((resolve, reject) => ws.send(data, opts, (err) => (err ? reject(err) : resolve()))),
        'send',
      );
    },
    async echo(data, binary) {
      await client.send(data, { binary });
      const reply = await client.next('the echo');
      assert.equal(reply.isBinary, binary, 'echo must keep the opcode (text vs binary)');
      assert.ok(Buffer.from(data).equals(reply.data), 'echo must return the same bytes');
      return reply;
    },
    terminate() {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    },
  };
  return client;
}

// Runs fn(server) with a fresh server that is always stopped afterwards; with `tls`, over TLS with
// certificates made for the test.
function serverTest(name, fn, extraArgs = [], tls = false) {
  test(name, { timeout: TEST_MS }, async (t) => {
    const pki = tls ? makePki() : null;
    if (pki) t.after(pki.remove);
    const server = await startEchoServer(pki ? [...extraArgs, ...pki.args] : extraArgs, pki?.ca);
    const clients = [];
    const open = async () => {
      const c = await connect(server);
      clients.push(c);
      return c;
    };
    try {
      await fn(server, open);
    } finally {
      for (const c of clients) c.terminate();
      await stopServer(server);
    }
  });
}

serverTest('text', async (_, open) => {
  const c = await open();
  await c.echo('hello, wisp', false);
});

serverTest('binary', async (_, open) => {
  const c = await open();
  await c.echo(randomBytes(1000), true);
});

serverTest('empty text and empty binary', async (_, open) => {
  const c = await open();
  await c.echo('', false);
  await c.echo(Buffer.alloc(0), true);
  await c.echo('', false);
});

serverTest('1 MiB text', async (_, open) => {
  const c = await open();
  let text = '';
  for (let i = 0; i < MIB; i++) text += String.fromCharCode(97 + (i % 26));
  await c.echo(text, false);
});

serverTest('1 MiB binary', async (_, open) => {
  const c = await open();
  await c.echo(randomBytes(MIB), true);
});

serverTest('fragmented text comes back whole', async (_, open) => {
  const c = await open();
  await c.send('frag', { fin: false });
  await c.send('mented ', { fin: false });
  await c.send('', { fin: false });
  await c.send('téxt ✓', { fin: true });
  const reply = await c.next('the echo');
  assert.equal(reply.isBinary, false);
  assert.equal(reply.data.toString('utf8'), 'fragmented téxt ✓');
});

serverTest('fragmented binary comes back whole', async (_, open) => {
  const c = await open();
  const chunks = [randomBytes(1000), randomBytes(70000), Buffer.alloc(0), randomBytes(5)];
  for (let i = 0; i < chunks.length; i++) {
    await c.send(chunks[i], { binary: true, fin: i === chunks.length - 1 });
  }
  const reply = await c.next('the echo');
  assert.equal(reply.isBinary, true);
  assert.ok(Buffer.concat(chunks).equals(reply.data), 'fragments must be joined in order');
});

serverTest('ping gets pong with the same payload', async (_, open) => {
  const c = await open();
  for (const payload of [Buffer.from('wisp-ping'), Buffer.alloc(0), randomBytes(125)]) {
    const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 'the pong');
    c.ws.ping(payload);
    assert.ok(payload.equals(await pong), 'pong must carry the ping payload');
  }
  await c.echo('still open after pings', false);
});

serverTest('UTF-8 multibyte text intact', async (_, open) => {
  const c = await open();
  const text = 'héllo wörld — ½ € 日本語 한국어 Ελληνικά 🎉🚀 𝄞 \u0000 end';
  const reply = await c.echo(text, false);
  assert.equal(reply.data.toString('utf8'), text);
});

serverTest('50 pipelined messages come back in order', async (_, open) => {
  const c = await open();
  const messages = Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0 ? { data: `message ${i}`, binary: false } : { data: Buffer.from(`binary ${i}`), binary: true },
  );
  for (const m of messages) c.ws.send(m.data, { binary: m.binary }); // no waiting between sends
  for (let i = 0; i < messages.length; i++) {
    const reply = await c.next(`echo #${i}`);
    assert.equal(reply.isBinary, messages[i].binary, `echo #${i} changed opcode`);
    assert.ok(Buffer.from(messages[i].data).equals(reply.data), `echo #${i} out of order or changed`);
  }
});

serverTest('client close 1000 gets the server close 1000', async (_, open) => {
  const c = await open();
  await c.echo('before close', false);
  c.ws.close(1000, 'client done');
  const { code } = await c.closed('the server close');
  assert.equal(code, 1000, 'server must answer a 1000 close with 1000');
});

serverTest(
  'a message above --max-message-size closes with 1009',
  async (_, open) => {
    const c = await open();
    await c.echo(Buffer.alloc(1024, 0x78), true); // at the limit: fine
    c.ws.send(Buffer.alloc(2000, 0x79));
    const { code } = await c.closed('the server close');
    assert.equal(code, 1009);
  },
  ['--max-message-size', '1024'],
);

serverTest('SIGINT closes clients with 1001 and exits 0', async (server, open) => {
  const clients = [await open(), await open(), await open()];
  for (const [i, c] of clients.entries()) await c.echo(`hi ${i}`, false); // the server holds them all
  server.proc.kill('SIGINT');
  for (const c of clients) {
    const { code } = await withTimeout(c.closed(), 'the close after SIGINT', 5000);
    assert.equal(code, 1001, 'SIGINT must close clients with 1001');
  }
  const [status, signal] = await withTimeout(exited(server.proc), 'wisp serve to exit after SIGINT', 5000);
  assert.equal(signal, null, 'wisp serve must exit, not die of the signal');
  assert.equal(status, 0, 'wisp serve must exit 0 after SIGINT');
});

// permessage-deflate: ws offers it by default; the server must agree and echo intact.
for (const mode of ['shared', 'dedicated']) {
  serverTest(
    `permessage-deflate (${mode}) is negotiated and messages of 16 B to 128 KiB echo intact`,
    async (_, open) => {
      const c = await open();
      assert.match(c.ws.extensions, /^permessage-deflate/, `server answered ${JSON.stringify(c.ws.extensions)}`);
      for (const size of [16, 1000, 65536, 131072]) {
        const text = JSON.stringify({ type: 'chat', data: 'x'.repeat(size) }).slice(0, size);
        await c.echo(text, false);
        await c.echo(randomBytes(size), true);
      }
      await c.send('compressed ', { fin: false });
      await c.send('fragments', { fin: true });
      const reply = await c.next('the echo');
      assert.equal(reply.data.toString('utf8'), 'compressed fragments');
    },
    ['--compression', mode],
  );
}

serverTest(
  'wss: text and binary echo, trusting the test CA',
  async (server, open) => {
    assert.match(server.url, /^wss:/);
    const c = await open();
    await c.echo('hello over wss ✓', false);
    await c.echo(randomBytes(1000), true);
    await c.echo(randomBytes(MIB), true);
  },
  [],
  true,
);

serverTest(
  'wss: a client that trusts no CA is refused',
  async (server) => {
    await assert.rejects(connect({ ...server, clientOptions: {} }), /self[- ]signed|unable to (get|verify)/i);
  },
  [],
  true,
);
