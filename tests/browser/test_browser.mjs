// Browser tests: headless Chromium's own WebSocket (driven by playwright-core) against `wisp serve`.
//
// Run: WISP_BIN=path/to/wisp [WISP_ARTIFACTS=dir] node --test tests/browser/test_browser.mjs
// Needs Debian's chromium (/usr/bin/chromium, or set CHROMIUM_BIN) and playwright-core from
// tests/browser/node_modules (run scripts/install-deps, or `npm ci` in this folder). Never run
// `npx playwright install`: the tests use the system Chromium, not a downloaded one.
//
// Chromium is launched once for the file (in before(), closed in after(), also when tests fail) with a
// fresh temporary profile: playwright's launch() gives it a new empty --user-data-dir and deletes it
// on close. Every test gets its own `wisp serve --host 127.0.0.1 --port 0` (port read from the first
// stdout line, stopped by PID) and its own browser context. The test page is served by a tiny Node
// http server on 127.0.0.1 port 0 in this process: a page on http://127.0.0.1 may open
// ws://127.0.0.1:PORT (Chromium's Local Network Access checks block it from data: URLs). Every wait
// has a timeout, so a hung server or browser fails the test instead of hanging the run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.mjs';
import { STEP_MS, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error(`cannot load 'playwright-core' (run scripts/install-deps, or npm ci in tests/browser): ${err.message}`);
}

const ARTIFACTS = process.env.WISP_ARTIFACTS || mkdtempSync(join(tmpdir(), 'wisp-browser-'));

const TEST_MS = 60_000; // any whole test
const MIB = 1 << 20;

// ---- the test page ------------------------------------------------------------------------------
// window.wisp drives WebSockets for the test (open, send, next, closed, close) and lists every
// event on the page, so the screenshot shows what happened. Binary goes in and out as base64.

const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wisp browser test</title>
<style>
  body { font: 14px/1.4 "DejaVu Sans", "Liberation Sans", sans-serif; margin: 16px; color: #222; background: #fafafa; }
  h1 { font-size: 18px; margin: 0 0 8px; }
  #log { list-style: none; padding: 0; margin: 0; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
  #log li { padding: 3px 6px; border-bottom: 1px solid #e4e4e4; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
  .open { color: #1a5fb4; } .sent { color: #555; } .recv { color: #26734d; font-weight: bold; }
  .close, .error { color: #b00020; }
</style>
</head>
<body>
<h1>wisp — browser WebSocket test</h1>
<ul id="log"></ul>
<script>
const socks = [];
const log = (kind, text) => {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = text;
  document.getElementById('log').append(li);
};
const show = (text) => (text.length > 60 ? '"' + text.slice(0, 60) + '"… (' + text.length + ' chars)' : '"' + text + '"');
const hex = (bytes) => Array.from(bytes.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join(' ') + (bytes.length > 12 ? ' …' : '');
const toB64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromB64 = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

window.wisp = {
  // Resolves with { id, extensions, protocol } once open; rejects if the connection fails first.
  open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      const s = { ws, url, inbox: [], waiters: [], close: null };
      s.closed = new Promise((done) => ws.addEventListener('close', (e) => {
        s.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        log('close', '✕ closed ' + url + ': code ' + e.code + (e.reason ? ' ' + JSON.stringify(e.reason) : ''));
        for (const w of s.waiters.splice(0)) w.reject(new Error('closed with ' + e.code + ' while waiting for a message'));
        reject(new Error('closed with ' + e.code + ' before open: ' + url));
        done(s.close);
      }));
      ws.addEventListener('message', (e) => {
        let m;
        if (typeof e.data === 'string') {
          m = { type: 'text', text: e.data };
          log('recv', '← text ' + show(e.data));
        } else {
          const bytes = new Uint8Array(e.data);
          m = { type: e.data instanceof ArrayBuffer ? 'arraybuffer' : String(e.data), b64: toB64(bytes) };
          log('recv', '← binary ' + bytes.length + ' bytes: ' + hex(bytes));
        }
        const w = s.waiters.shift();
        if (w) w.resolve(m);
        else s.inbox.push(m);
      });
      ws.addEventListener('error', () => {
        log('error', '✕ error on ' + url);
        reject(new Error('cannot connect to ' + url));
      });
      ws.addEventListener('open', () => {
        const id = socks.push(s) - 1;
        log('open', '✓ open ' + url + (ws.extensions ? ' (' + ws.extensions + ')' : ''));
        resolve({ id, extensions: ws.extensions, protocol: ws.protocol });
      });
    });
  },
  // msg: { text } or { b64 } (sent as an ArrayBuffer).
  send(id, msg) {
    const ws = socks[id].ws;
    if (ws.readyState !== WebSocket.OPEN) throw new Error('send on a socket in state ' + ws.readyState);
    if ('text' in msg) {
      ws.send(msg.text);
      log('sent', '→ text ' + show(msg.text));
    } else {
      const bytes = fromB64(msg.b64);
      ws.send(bytes.buffer);
      log('sent', '→ binary ' + bytes.length + ' bytes: ' + hex(bytes));
    }
  },
  // The next message: { type: 'text', text } or { type: 'arraybuffer', b64 }.
  next(id) {
    const s = socks[id];
    if (s.inbox.length) return s.inbox.shift();
    if (s.close) throw new Error('closed with ' + s.close.code + ' while waiting for a message');
    return new Promise((resolve, reject) => s.waiters.push({ resolve, reject }));
  },
  closed(id) {
    return socks[id].closed;
  },
  close(id, code, reason) {
    socks[id].ws.close(code, reason);
  },
};
</script>
</body>
</html>
`;

function startPageServer() {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    }),
    'the page server to listen',
  );
}

// ---- TLS ----------------------------------------------------------------------------------------
// A CA and a server certificate for 127.0.0.1, made in before() by the openssl command. Chromium
// trusts the server's key through --ignore-certificate-errors-spki-list (the base64 SHA-256 of its
// SubjectPublicKeyInfo), which only covers a certificate with that key.

const PKI = mkdtempSync(join(tmpdir(), 'wisp-browser-tls-'));
const TLS_ARGS = ['--tls-cert', join(PKI, 'server.crt'), '--tls-key', join(PKI, 'server.key')];

// Makes the certificates; returns the server key's SPKI hash.
function makePki() {
  const path = (name) => join(PKI, name);
  const openssl = (...args) => execFileSync('openssl', args, { timeout: STEP_MS });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=wisp-browser-ca', '-keyout', path('ca.key'), '-out', path('ca.crt'));
  writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path('server.key'));
  openssl('req', '-new', '-key', path('server.key'), '-subj', '/CN=localhost', '-out', path('server.csr'));
  openssl('x509', '-req', '-days', '2', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'),
    '-CAcreateserial', '-extfile', path('server.ext'), '-out', path('server.crt'));
  const spki = openssl('pkey', '-in', path('server.key'), '-pubout', '-outform', 'DER');
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: spki }).toString('base64');
}

// ---- browser ------------------------------------------------------------------------------------

let browser;
let pageServer;
let pageUrl;

before(async () => {
  pageServer = await startPageServer();
  pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
  const args = [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${makePki()}`];
  browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 30_000 });
});

after(async () => {
  try {
    if (browser) await withTimeout(browser.close(), 'Chromium to close');
  } finally {
    rmSync(PKI, { recursive: true, force: true });
    if (pageServer) {
      pageServer.closeAllConnections();
      pageServer.close();
    }
  }
});

// A page of the test page in the context, with its WebSocket helpers.
async function openPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  await page.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });
  const call = (fn, ...args) =>
    withTimeout(
      page.evaluate(([fn, args]) => window.wisp[fn](...args), [fn, args]),
      `page: wisp.${fn}(${JSON.stringify(args).slice(0, 80)})`,
    );
  const p = {
    page,
    errors,
    // A WebSocket in the page: { id, extensions, protocol, send, next, closed, close, echo }.
    async connect(url) {
      const info = await call('open', url);
      const sock = {
        ...info,
        send: (msg) => call('send', info.id, msg),
        next: (what = 'a message') =>
          withTimeout(
            page.evaluate((id) => window.wisp.next(id), info.id),
            `${what} in the page`,
          ),
        closed: () => call('closed', info.id),
        close: (code, reason) => call('close', info.id, code, reason),
        // Sends text (a string) or binary (a Buffer, as an ArrayBuffer) and checks the echo.
        async echo(data) {
          const binary = Buffer.isBuffer(data);
          await sock.send(binary ? { b64: data.toString('base64') } : { text: data });
          const reply = await sock.next('the echo');
          if (binary) {
            assert.equal(reply.type, 'arraybuffer', 'binary must come back as binary (an ArrayBuffer)');
            const got = Buffer.from(reply.b64, 'base64');
            assert.equal(got.length, data.length, 'echo changed the binary length');
            assert.ok(got.equals(data), 'echo must return the same bytes');
          } else {
            assert.equal(reply.type, 'text', 'text must come back as text');
            assert.equal(reply.text.length, data.length, 'echo changed the text length');
            assert.ok(reply.text === data, 'echo must return the same text');
          }
        },
      };
      return sock;
    },
  };
  return p;
}

// Runs fn({ server, open }) with a fresh server and browser context, both closed afterwards.
function browserTest(name, fn, serverArgs = []) {
  test(name, { timeout: TEST_MS }, async () => {
    assert.ok(browser, 'Chromium did not start');
    const server = await startServer(serverArgs);
    let context;
    try {
      context = await withTimeout(browser.newContext({ viewport: { width: 800, height: 420 } }), 'a browser context');
      const pages = [];
      const open = async () => {
        const p = await openPage(context);
        pages.push(p);
        return p;
      };
      await fn({ server, open });
      for (const p of pages) assert.deepEqual(p.errors, [], 'the page threw');
    } finally {
      try {
        if (context) await withTimeout(context.close(), 'the browser context to close');
      } finally {
        await stopServer(server);
      }
    }
  });
}

const UTF8 = 'héllo wörld — ½ € 日本語 한국어 Ελληνικά 🎉🚀 𝄞 end';

// ---- (a) echo -----------------------------------------------------------------------------------

browserTest('text, binary (ArrayBuffer), UTF-8 multibyte and 1 MiB messages echo intact', async ({ server, open }) => {
  const p = await open();
  const ws = await p.connect(server.ws('/echo'));
  assert.equal(ws.extensions, '', 'with --compression off the server must not accept permessage-deflate');
  await ws.echo('hello, wisp');
  await ws.echo(randomBytes(1000));
  await ws.echo('');
  await ws.echo(Buffer.alloc(0));
  await ws.echo(UTF8);
  await ws.echo(Buffer.from(UTF8)); // the same bytes as binary: no UTF-8 rules apply
  let text = '';
  for (let i = 0; i < 1024; i++) text += 'wisp ✓ ' + String(i).padStart(4, '0') + ' ' + 'abcdefghijklmnopqrstuvwxyz'.repeat(39) + '\n';
  assert.ok(Buffer.byteLength(text) >= MIB);
  await ws.echo(text);
  await ws.echo(randomBytes(MIB));
  await ws.echo('still open after 1 MiB');
});

// ---- (b) permessage-deflate -----------------------------------------------------------------------

for (const mode of ['shared', 'dedicated']) {
  browserTest(
    `permessage-deflate (${mode}): Chromium negotiates it and messages of 16 B to 128 KiB echo intact`,
    async ({ server, open }) => {
      const p = await open();
      const ws = await p.connect(server.ws('/echo'));
      assert.match(ws.extensions, /^permessage-deflate/, `the browser sees extensions ${JSON.stringify(ws.extensions)}`);
      for (const size of [16, 100, 1000, 4096, 65536, 131072]) {
        const items = [];
        for (let i = 0; JSON.stringify(items).length < size; i++) {
          items.push({ id: i, type: 'chat', user: `user${i % 7}`, text: i % 3 ? 'hello wisp' : 'héllo 日本 🎉', ok: i % 2 === 0 });
        }
        const json = JSON.stringify(items).slice(0, size);
        await ws.echo(json);
        await ws.echo(Buffer.from(json));
        await ws.echo(randomBytes(size)); // incompressible
      }
      await ws.echo(UTF8);
    },
    ['--compression', mode],
  );
}

// ---- (c) the server's close code ------------------------------------------------------------------

browserTest(
  'a message over --max-message-size 1024 gets close code 1009 in the browser',
  async ({ server, open }) => {
    const p = await open();
    const ws = await p.connect(server.ws('/echo'));
    await ws.echo(Buffer.alloc(1024, 0x78)); // at the limit: fine
    await ws.echo('y'.repeat(1024));
    await ws.send({ text: 'z'.repeat(2000) });
    const close = await ws.closed();
    assert.equal(close.code, 1009, `close event: ${JSON.stringify(close)}`);
  },
  ['--max-message-size', '1024'],
);

// ---- (d) fanout ---------------------------------------------------------------------------------

browserTest('two pages on /fanout both receive what one of them sends', async ({ server, open }) => {
  const [pa, pb] = [await open(), await open()];
  const a = await pa.connect(server.ws('/fanout'));
  const b = await pb.connect(server.ws('/fanout'));
  // b's hello reaching both proves both are subscribed before the real check.
  await b.send({ text: 'hello from b' });
  for (const [who, ws] of [['a', a], ['b', b]]) {
    assert.deepEqual(await ws.next(`b's hello at ${who}`), { type: 'text', text: 'hello from b' });
  }
  const text = `from a: ${UTF8}`;
  const bytes = randomBytes(5000);
  await a.send({ text });
  await a.send({ b64: bytes.toString('base64') });
  for (const [who, ws] of [['a', a], ['b', b]]) {
    assert.deepEqual(await ws.next(`a's text at ${who}`), { type: 'text', text }, `${who} got a wrong text`);
    const bin = await ws.next(`a's binary at ${who}`);
    assert.equal(bin.type, 'arraybuffer');
    assert.ok(Buffer.from(bin.b64, 'base64').equals(bytes), `${who} got wrong bytes`);
  }
});

// ---- (e) wss ------------------------------------------------------------------------------------

browserTest(
  'wss: `wisp serve --tls-cert --tls-key` echoes text and binary in Chromium',
  async ({ server, open }) => {
    const p = await open();
    const ws = await p.connect(server.ws('/echo'));
    assert.match(server.ws('/echo'), /^wss:/);
    await ws.echo('hello over wss ✓');
    await ws.echo(randomBytes(1000));
    await ws.echo(randomBytes(MIB));
    await ws.close(1000, 'done');
    assert.equal((await ws.closed()).code, 1000);
  },
  TLS_ARGS,
);

// ---- (f) screenshot -----------------------------------------------------------------------------

function pngSize(file) {
  const png = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 1000, `${file} is only ${png.length} bytes`);
  assert.ok(png.subarray(0, 8).equals(signature), `${file} is not a PNG`);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR', `${file} has no IHDR chunk`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

browserTest('a screenshot of the page showing the echoed messages', async ({ server, open }) => {
  const p = await open();
  const ws = await p.connect(server.ws('/echo'));
  await ws.echo('hello, wisp');
  await ws.echo('héllo wörld — ½ € Ελληνικά Кириллица ✓'); // scripts the Debian fonts draw
  await ws.echo(Buffer.from('wisp binary \x00\x01\x02\xff', 'latin1'));
  await ws.echo(JSON.stringify({ type: 'chat', room: 'lobby', text: 'hi from Chromium' }));
  await ws.close(1000, 'done');
  assert.equal((await ws.closed()).code, 1000);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'echo.png');
  await withTimeout(p.page.screenshot({ path: file, type: 'png' }), 'the screenshot');
  assert.ok(statSync(file).isFile());
  assert.deepEqual(pngSize(file), { width: 800, height: 420 });
  console.log(`screenshot: ${file}`);
});
