// The official socket.io-client (its browser bundle, from tests/interop/node_modules) in headless
// Chromium against `wisp serve`'s /socket.io/: the page comes from wisp serve itself (--static), so
// polling uses the browser's own XHR and the upgrade its own WebSocket. Default transports,
// polling only and WebSocket only: connect, an event with several arguments and binary acked
// back, and a broadcast from a second page.
//
// Run: WISP_BIN=path/to/wisp node --test tests/browser/test_socketio_browser.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.mjs';
import { STEP_MS, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error(`cannot load 'playwright-core' (run scripts/install-deps, or npm ci in tests/browser): ${err.message}`);
}

const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, '../interop/node_modules/socket.io-client/dist/socket.io.min.js');

// window.sio: connect(options) -> transport name; call(event, ...args) -> every ack argument
// (binary as base64); next(event) -> the next event's arguments; upgraded() once on WebSocket.
const PAGE = String.raw`<!doctype html>
<meta charset="utf-8"><title>wisp socket.io test</title>
<script src="/static/socket.io.min.js"></script>
<script>
const b64 = (v) => (v instanceof ArrayBuffer ? { b64: btoa(String.fromCharCode(...new Uint8Array(v))) } : v);
let socket;
window.sio = {
  connect(options) {
    socket = io({ reconnection: false, ...options });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket.io.engine.transport.name));
      socket.once('connect_error', (err) => reject(new Error(err.message)));
    });
  },
  upgraded() {
    const engine = socket.io.engine;
    return engine.transport.name === 'websocket' ? 'websocket'
      : new Promise((resolve) => engine.once('upgrade', (t) => resolve(t.name)));
  },
  call(event, ...args) {
    const bytes = new Uint8Array([0, 1, 2, 255]).buffer;
    return new Promise((resolve) => socket.emit(event, ...args, bytes, (...reply) => resolve(reply.map(b64))));
  },
  next(event) {
    return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
  },
  emit(event, ...args) { socket.emit(event, ...args); },
};
</script>`;

let browser;
let staticDir;

before(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'wisp-sio-'));
  copyFileSync(BUNDLE, join(staticDir, 'socket.io.min.js'));
  writeFileSync(join(staticDir, 'index.html'), PAGE);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  try {
    if (browser) await withTimeout(browser.close(), 'Chromium to close');
  } finally {
    rmSync(staticDir, { recursive: true, force: true });
  }
});

async function openPage(context, server) {
  const page = await context.newPage();
  await page.goto(server.http('/static/index.html'), { waitUntil: 'load', timeout: STEP_MS });
  return (fn, ...args) => withTimeout(page.evaluate(([fn, args]) => window.sio[fn](...args), [fn, args]), `page: sio.${fn}`);
}

for (const [label, options, transport] of [
  ['the default transports, then the upgrade', {}, 'polling'],
  ['polling only', { transports: ['polling'] }, 'polling'],
  ['WebSocket only', { transports: ['websocket'] }, 'websocket'],
]) {
  test(`Chromium's socket.io-client over ${label}`, { timeout: 60_000 }, async () => {
    const server = await startServer(['--static', staticDir]);
    const context = await browser.newContext();
    try {
      const a = await openPage(context, server);
      const b = await openPage(context, server);
      assert.equal(await a('connect', options), transport);
      await b('connect', options);
      if (!options.transports) assert.equal(await a('upgraded'), 'websocket');
      assert.deepEqual(await a('call', 'echo', 1, 'two', { three: [3] }), [1, 'two', { three: [3] }, { b64: 'AAEC/w==' }]);
      const heard = a('next', 'broadcast');
      await b('emit', 'broadcast', 'from b', 2);
      assert.deepEqual(await heard, ['from b', 2]);
    } finally {
      await context.close();
      await stopServer(server);
    }
  });
}
