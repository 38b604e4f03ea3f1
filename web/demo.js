// The demo page: seed 000's chat rooms and seed 002's live dashboard, over one wisp.js client.
import { WispClient } from './wisp.js';
import { LiveChart, formatNumber } from './chart.js';

const $ = (id) => document.getElementById(id);
const client = new WispClient('/ws');

// ---- connection -------------------------------------------------------------------------------

client.onState((state, detail) => {
  const label = state === 'reconnecting' ? `reconnecting (attempt ${detail.attempt})` : state;
  $('state').textContent = label;
  $('state').dataset.state = state;
  if (state !== 'open') $('client-id').textContent = '';
  if (state === 'reconnecting' && detail.attempt === 1) noticeInJoinedRooms('connection lost; reconnecting');
  if (state === 'open' && detail.reconnected) noticeInJoinedRooms('reconnected');
});
client.on('welcome', ({ client_id: id }) => {
  $('client-id').textContent = `client ${id}`;
});
client.on('shutdown', (data) => noticeInJoinedRooms(`server: ${data?.message ?? 'shutting down'}`));

// ---- chat rooms -------------------------------------------------------------------------------

const chat = {
  username: null,
  rooms: new Map(), // name -> { messages: [], members, unread }
  active: null,
};

function showError(error) {
  $('chat-error').textContent = error ? `${error.message}${error.code ? ` (${error.code})` : ''}` : '';
}

// Runs a request for a form, showing its error if it fails.
async function attempt(fn) {
  showError(null);
  try {
    return await fn();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

$('register-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  const reply = await attempt(() => client.request('register', { username }));
  if (!reply) return;
  chat.username = reply.username;
  $('register-form').querySelector('button').textContent = 'Rename';
  $('lobby').hidden = false;
  $('room-name').focus();
  refreshAllRooms();
});

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  await joinRoom($('room-name').value.trim());
  $('room-name').value = '';
});

async function joinRoom(name) {
  if (chat.rooms.has(name)) return selectRoom(name);
  const reply = await attempt(() => client.request('join_room', { room: name }));
  if (!reply) return;
  const room = chat.rooms.get(reply.room) ?? { messages: [], members: 0, unread: 0 };
  chat.rooms.set(reply.room, room);
  mergeHistory(room, reply);
  selectRoom(reply.room);
  refreshAllRooms();
}

// A join's answer: the member count and the last messages (kept: those already shown).
function mergeHistory(room, { members, history }) {
  room.members = members;
  const seen = new Set(room.messages.map((m) => m.id));
  room.messages.push(...history.filter((m) => !seen.has(m.id)));
  room.messages.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

function selectRoom(name) {
  chat.active = name;
  chat.rooms.get(name).unread = 0;
  $('conversation').hidden = false;
  renderJoinedRooms();
  renderConversation();
  $('message').focus();
}

$('message-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('message').value.trim();
  const room = chat.active;
  if (!text || !room) return;
  $('message').value = '';
  const reply = await attempt(() => client.request('chat_message', { room, message: text }));
  if (!reply) return;
  addMessage(room, { id: reply.message_id, room, sender: chat.username ?? 'Anonymous', text, timestamp: reply.timestamp, mine: true });
});

client.on('new_message', (message) => addMessage(message.room, message));

client.on('room_update', ({ user, action, room }) => {
  const entry = chat.rooms.get(room);
  if (!entry) return;
  entry.members += action === 'joined' ? 1 : -1;
  addMessage(room, { notice: `${user} ${action}`, timestamp: Date.now() / 1000 });
  refreshAllRooms();
});

// After a reconnect the client joined its rooms again: the server's answers carry their history.
client.onResume((answers) => {
  for (const { type, response } of answers) {
    if (type === 'join_room' && response && chat.rooms.has(response.room)) {
      mergeHistory(chat.rooms.get(response.room), response);
    }
  }
  renderJoinedRooms();
  renderConversation();
  refreshAllRooms();
});

function addMessage(roomName, message) {
  const room = chat.rooms.get(roomName);
  if (!room) return;
  room.messages.push(message);
  if (roomName === chat.active) appendMessage(message);
  else room.unread++;
  renderJoinedRooms();
}

function noticeInJoinedRooms(text) {
  for (const name of chat.rooms.keys()) addMessage(name, { notice: text, timestamp: Date.now() / 1000 });
}

function renderConversation() {
  const room = chat.rooms.get(chat.active);
  if (!room) return;
  $('room-title').textContent = `# ${chat.active}`;
  $('messages').replaceChildren();
  room.messages.forEach(appendMessage);
}

function appendMessage(message) {
  const li = document.createElement('li');
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date((message.timestamp ?? Date.now() / 1000) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  li.append(time);
  if (message.notice) {
    li.className = 'notice';
    li.append(message.notice);
  } else {
    if (message.mine || message.sender === chat.username) li.className = 'mine';
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = message.sender;
    li.append(sender, message.text);
  }
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(li);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function roomItem(name, count, { active = false, unread = 0 } = {}) {
  const li = document.createElement('li');
  li.dataset.room = name;
  if (active) li.className = 'active';
  const label = document.createElement('span');
  label.textContent = `# ${name}`;
  const meta = document.createElement('span');
  meta.className = unread ? 'unread' : 'count';
  meta.textContent = unread ? `${unread} new` : `${count} online`;
  li.append(label, meta);
  return li;
}

function renderJoinedRooms() {
  $('joined-rooms').replaceChildren(
    ...[...chat.rooms].map(([name, room]) => roomItem(name, room.members, { active: name === chat.active, unread: room.unread })),
  );
}

async function refreshAllRooms() {
  try {
    const response = await fetch('/api/rooms', { cache: 'no-store' });
    const { rooms } = await response.json();
    $('all-rooms').replaceChildren(...rooms.map((room) => roomItem(room.name, room.members)));
  } catch {
    // The server is away: the list stays as it was until the next refresh.
  }
}

$('joined-rooms').addEventListener('click', (event) => {
  const name = event.target.closest('li')?.dataset.room;
  if (name) selectRoom(name);
});
$('all-rooms').addEventListener('click', (event) => {
  const name = event.target.closest('li')?.dataset.room;
  if (name) joinRoom(name);
});

// ---- live dashboard ---------------------------------------------------------------------------

const messagesChart = new LiveChart($('messages-chart'), {
  series: [
    { key: 'in', label: 'in/s', color: '#0b6bcb' },
    { key: 'out', label: 'out/s', color: '#e16f24', dash: [6, 4] }, // in/s shows through where equal
  ],
});
const cpuChart = new LiveChart($('cpu-chart'), {
  series: [{ key: 'cpu', label: 'CPU', color: '#1a7f37' }],
  unit: '%',
  minimum: 5,
});

function formatBytes(bytes) {
  return `${formatNumber(bytes / (1024 * 1024))} MiB`;
}

// Every node of a cluster sends its figures to $metrics, named by its node id: the tiles and
// charts follow this page's node (its id from /healthz: "" without a cluster), the table every node.
const dashboard = { ownNode: null, nodes: new Map() }; // node id -> { m, seen }
const NODE_GONE_MS = 5000; // a node silent this long leaves the table

fetch('/healthz', { cache: 'no-store' })
  .then((response) => response.json())
  .then((health) => {
    dashboard.ownNode = health.broker?.node_id ?? '';
    $('own-node').textContent = dashboard.ownNode || 'this server';
  })
  .catch(() => {
    dashboard.ownNode = undefined; // unknown: chart whatever arrives
  });

function showOwnNode(m) {
  const time = m.timestamp * 1000;
  messagesChart.push(time, { in: m.messages_in_per_s, out: m.messages_out_per_s });
  cpuChart.push(time, { cpu: m.cpu_percent });
  $('tile-websockets').textContent = formatNumber(m.websockets);
  $('tile-clients').textContent = formatNumber(m.hub_clients);
  $('tile-cluster-clients').textContent = formatNumber(m.cluster_clients ?? m.hub_clients);
  $('tile-in').textContent = formatNumber(m.messages_in_per_s);
  $('tile-out').textContent = formatNumber(m.messages_out_per_s);
  $('tile-cpu').textContent = `${formatNumber(m.cpu_percent)}%`;
  $('tile-memory').textContent = formatBytes(m.memory_bytes);
}

function renderNodes(now) {
  const rows = [];
  for (const [node, { m, seen }] of [...dashboard.nodes].sort(([a], [b]) => a.localeCompare(b))) {
    if (now - seen > NODE_GONE_MS) {
      dashboard.nodes.delete(node);
      continue;
    }
    const tr = document.createElement('tr');
    tr.dataset.node = node;
    if (node === dashboard.ownNode) tr.className = 'own';
    const cells = [node || 'this server', formatNumber(m.websockets), formatNumber(m.hub_clients),
      formatNumber(m.messages_in_per_s), formatNumber(m.messages_out_per_s),
      `${formatNumber(m.cpu_percent)}%`, formatBytes(m.memory_bytes)];
    tr.append(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
    rows.push(tr);
  }
  $('nodes').tBodies[0].replaceChildren(...rows);
}

client.on('metrics', (m) => {
  const node = m.node ?? '';
  if (dashboard.ownNode === undefined || node === dashboard.ownNode) showOwnNode(m);
  dashboard.nodes.set(node, { m, seen: Date.now() });
  renderNodes(Date.now());
});

// The hub's built-in join; wisp.js joins again after a reconnect.
client.request('join', { room: '$metrics' }).catch(showError);
window.addEventListener('resize', () => {
  messagesChart.draw();
  cpuChart.draw();
});

// For the browser tests and the curious: the page's client, in the console.
window.wispDemo = { client, chat, dashboard };
