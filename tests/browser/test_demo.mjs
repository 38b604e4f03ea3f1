// The demo page `wisp serve` shows at / (web/: chat rooms and the live dashboard over wisp.js),
// driven in headless Chromium through its own forms, as a user would; and wisp.js alone in a page,
// recovering a room's history after a dropped connection and after a server restart.
//
// Run: WISP_BIN=path/to/wisp [WISP_ARTIFACTS=dir] node --test tests/browser/test_demo.mjs
// Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM_BIN) and playwright-core from
// tests/browser/node_modules. The screenshot goes to WISP_ARTIFACTS/demo.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.mjs';
import { startRedis } from '../support/redis_server.mjs';
import { STEP_MS, killServer, startServer, stopServer, withTimeout } from '../support/wisp_serve.mjs';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error(`cannot load 'playwright-core' (run scripts/install-deps, or npm ci in tests/browser): ${err.message}`);
}

const ARTIFACTS = process.env.WISP_ARTIFACTS || mkdtempSync(join(tmpdir(), 'wisp-demo-'));
const TEST_MS = 60_000;
const VIEWPORT = { width: 1280, height: 860 };

let browser;
before(async () => {
  // playwright's launch() gives Chromium a fresh --user-data-dir and deletes it on close.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});
after(async () => {
  if (browser) await withTimeout(browser.close(), 'Chromium to close');
});

// Runs fn({ server, open, restart }) with a fresh server and browser context, both closed after.
function demoTest(name, fn) {
  test(name, { timeout: TEST_MS }, async () => {
    const servers = [await startServer()];
    const context = await withTimeout(browser.newContext({ viewport: VIEWPORT }), 'a browser context');
    const pages = [];
    try {
      const open = async () => {
        const page = await context.newPage();
        page.errors = [];
        page.on('pageerror', (err) => page.errors.push(err));
        page.setDefaultTimeout(STEP_MS);
        await page.goto(servers[0].http('/'), { waitUntil: 'load' });
        await page.waitForSelector('#state[data-state="open"]');
        pages.push(page);
        return page;
      };
      const restart = async () => servers.push(await startServer([], servers[0].port));
      await fn({ server: servers[0], open, restart });
      for (const page of pages) assert.deepEqual(page.errors, [], 'the page threw');
    } finally {
      await withTimeout(context.close(), 'the browser context to close');
      for (const server of servers) await stopServer(server);
    }
  });
}

async function enter(page, username, room) {
  await page.fill('#username', username);
  await page.click('#register-form button');
  await page.waitForSelector('#lobby:not([hidden])');
  await page.fill('#room-name', room);
  await page.click('#join-form button');
  await page.waitForSelector(`#joined-rooms li[data-room="${room}"].active`);
}

async function say(page, text) {
  await page.fill('#message', text);
  await page.click('#message-form button');
  await page.waitForSelector(`#messages li.mine:has-text("${text}")`);
}

// `from` says `text` and `to` hears it.
async function exchange(from, to, text) {
  await say(from, text);
  await to.waitForSelector(`#messages li:not(.mine):has-text("${text}")`);
}

demoTest('two pages chat in a room; after a server restart they reconnect and keep their room', async ({ server, open, restart }) => {
  const ada = await open();
  await enter(ada, 'Ada', 'lobby');
  await say(ada, 'anyone here?'); // stored: Bob's join shows it as history
  const bob = await open();
  await enter(bob, 'Bob', 'lobby');
  await bob.waitForSelector('#messages li:has-text("anyone here?")');
  await ada.waitForSelector('#messages li.notice:has-text("Bob joined")');
  await exchange(ada, bob, 'hello Bob');
  await exchange(bob, ada, 'hi Ada ✓');

  // Kill the server (no close frame), start a new one on the same port: both pages come back,
  // register and join lobby again on their own, and talk through the new server.
  for (const page of [ada, bob]) await page.evaluate(() => { window.resumed = new Promise((r) => window.wispDemo.client.onResume(r)); });
  await killServer(server);
  for (const page of [ada, bob]) await page.waitForSelector('#state[data-state="reconnecting"]');
  await restart();
  for (const page of [ada, bob]) {
    const answers = await withTimeout(page.evaluate(() => window.resumed), 'the page to register and join again');
    assert.deepEqual(answers.map((a) => [a.type, a.data.room ?? a.data.username, a.error]), [
      ['register', (await page.evaluate(() => window.wispDemo.chat.username)), undefined],
      ['join', '$metrics', undefined], // joined by the dashboard as the page loaded
      ['join_room', 'lobby', undefined],
    ]);
    await page.waitForSelector('#state[data-state="open"]');
    await page.waitForSelector('#messages li.notice:has-text("reconnected")');
  }
  await exchange(ada, bob, 'after the restart');
  await exchange(bob, ada, 'still here');
});

// wisp.js itself in a page (imported from the server's /wisp.js, no demo): a reader and a writer
// in the room 'lobby', the reader recording what it hears and its recoveries. `drop(from, to)`
// closes the reader's socket under it and, while it waits to reconnect, has the writer send
// m<from>..m<to>; `reconnectTo` (a ws:// URL) sends the reader's next connection elsewhere.
async function historyPage(context, server) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  page.setDefaultTimeout(STEP_MS);
  await page.goto(server.http('/wisp.js'), { waitUntil: 'load' });
  const joined = await page.evaluate(async () => {
    const { WispClient } = await import('/wisp.js');
    const connect = async () => {
      const client = new WispClient('/ws', { initialDelay: 20, jitter: 0 });
      await client.opened();
      return client;
    };
    const t = { reader: await connect(), writer: await connect(), texts: [], recoveries: [] };
    t.reader.on('new_message', (message) => t.texts.push(message.text));
    t.reader.onRecovery((result) => t.recoveries.push(result));
    t.say = (from, to) => {
      const sent = [];
      for (let n = from; n <= to; ++n) sent.push(t.writer.request('chat_message', { room: 'lobby', message: `m${n}` }));
      return Promise.all(sent);
    };
    window.t = t;
    const answer = await t.reader.request('join_room', { room: 'lobby' });
    await t.writer.request('join_room', { room: 'lobby' });
    return answer;
  });
  return {
    page,
    errors,
    joined,
    say: (from, to) => page.evaluate(([a, b]) => window.t.say(a, b), [from, to]),
    heard: (count) => page.waitForFunction((n) => window.t.texts.length >= n, count),
    texts: () => page.evaluate(() => window.t.texts),
    recovery: async (n) => {
      await page.waitForFunction((k) => window.t.recoveries.length >= k, n);
      return page.evaluate((k) => window.t.recoveries[k - 1], n);
    },
    drop: (from, to, reconnectTo) => page.evaluate(([a, b, url]) => new Promise((resolve) => {
      const stop = window.t.reader.onState((state) => {
        if (state !== 'reconnecting') return;
        stop();
        resolve(window.t.say(a, b));
      });
      if (url) window.t.reader.url = url;
      window.t.reader.socket.close(4000, 'test: dropped');
    }), [from, to, reconnectTo]),
  };
}

const inOrder = (count) => Array.from({ length: count }, (_, i) => `m${i + 1}`);

// Dropped while the writer sends: every message once, in order, recovered: true; after a server
// restart (history in memory) recovered: false, "epoch changed".
test('wisp.js in Chromium recovers the messages it missed, and reports a lost history after a restart', { timeout: TEST_MS }, async () => {
  const args = ['--room-history', '100'];
  const servers = [await startServer(args)];
  const context = await withTimeout(browser.newContext(), 'a browser context');
  try {
    const h = await historyPage(context, servers[0]);
    await h.say(1, 20);
    await h.heard(20);
    await h.drop(21, 50);
    const first = await h.recovery(1);
    assert.equal(first.recovered, true, JSON.stringify(first));
    assert.equal(first.epoch, h.joined.epoch);
    await h.say(51, 55);
    await h.heard(55);
    assert.deepEqual(await h.texts(), inOrder(55), 'every message once, in order');

    await killServer(servers[0]);
    servers.push(await startServer(args, servers[0].port));
    const second = await h.recovery(2);
    assert.equal(second.recovered, false, JSON.stringify(second));
    assert.equal(second.reason, 'epoch changed');
    assert.notEqual(second.epoch, h.joined.epoch);
    assert.deepEqual(h.errors, [], 'the page threw');
  } finally {
    await withTimeout(context.close(), 'a browser context to close');
    for (const server of servers) await stopServer(server);
  }
});

// Two nodes on one real redis-server: the reader's connection comes back on the other node (as a
// balancer may send it) and recovers there from the history in Redis, twice.
test('with --redis, wisp.js in Chromium recovers on the other node what it missed', { timeout: TEST_MS }, async () => {
  const redis = await startRedis();
  const args = ['--redis', redis.url, '--room-history', '100'];
  const servers = [];
  const context = await withTimeout(browser.newContext(), 'a browser context');
  try {
    servers.push(await startServer(args), await startServer(args));
    const h = await historyPage(context, servers[0]);
    await h.say(1, 10);
    await h.heard(10);
    await h.drop(11, 30, servers[1].ws('/ws'));
    const there = await h.recovery(1);
    assert.equal(there.recovered, true, JSON.stringify(there));
    assert.equal(there.epoch, h.joined.epoch);
    await h.drop(31, 40, servers[0].ws('/ws'));
    const back = await h.recovery(2);
    assert.equal(back.recovered, true, JSON.stringify(back));
    await h.say(41, 45);
    await h.heard(45);
    assert.deepEqual(await h.texts(), inOrder(45), 'every message once, in order, across nodes');
    assert.deepEqual(h.errors, [], 'the page threw');
  } finally {
    await withTimeout(context.close(), 'a browser context to close');
    for (const server of servers) await stopServer(server);
    await redis.stop();
  }
});

function pngSize(file) {
  const png = readFileSync(file);
  assert.ok(png.subarray(1, 4).toString() === 'PNG', `${file} is not a PNG`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

demoTest('the dashboard charts the metrics pushed every second; a screenshot of the demo', async ({ open }) => {
  const ada = await open();
  const bob = await open();
  await enter(ada, 'Ada', 'lobby');
  await enter(bob, 'Bob', 'lobby');
  for (const text of ['Hi Bob! The charts on the right are live.', 'They count this chat too.']) {
    await exchange(ada, bob, text);
  }
  await say(bob, 'Nice — wisp.js reconnects on its own, too.');
  // Some traffic for the chart: echo requests through the hub, while samples arrive.
  const samples = (id) => ada.evaluate((id) => Number(document.getElementById(id).dataset.samples), id);
  const before = await samples('messages-chart');
  await ada.evaluate(() => Promise.all(Array.from({ length: 200 }, (_, i) => window.wispDemo.client.request('echo', { i }))));
  await ada.waitForFunction((n) => Number(document.getElementById('messages-chart').dataset.samples) >= n + 3, before, { timeout: 8000 });
  assert.ok((await samples('cpu-chart')) >= 3, 'the CPU chart got samples too');
  const websockets = Number(await ada.textContent('#tile-websockets'));
  assert.ok(websockets >= 2, `the dashboard counts both pages' WebSockets (shows ${websockets})`);
  assert.match(await ada.textContent('#tile-memory'), /MiB$/);
  // One node (no cluster broker): one row in the nodes table, this server's, the tiles' node.
  const nodes = await ada.$$eval('#nodes tbody tr', (rows) => rows.map((row) => [row.className, row.cells[0].textContent]));
  assert.deepEqual(nodes, [['own', 'this server']]);

  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'demo.png');
  await ada.screenshot({ path: file, type: 'png' });
  assert.deepEqual(pngSize(file), VIEWPORT);
  console.log(`screenshot: ${file}`);
});
