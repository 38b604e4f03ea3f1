// wisp.js: the browser (and Node) client of a wisp event hub. An ES module with no dependencies.
//
// The hub's wire format: {"type": ..., "data": ..., "id": ...} both ways; a request's answer is
// {"type": "response", "data": ..., "id": <the request's id>} or
// {"type": "error", "data": {"code": ..., "message": ...}, "id": ...}.
//
//   import { WispClient } from '/wisp.js';
//   const client = new WispClient('/ws');
//   client.on('new_message', (msg) => show(msg));
//   await client.request('register', { username: 'ada' });
//   const room = await client.request('join_room', { room: 'lobby' });
//
// While the connection is down, send() and request() queue their messages (up to queueLimit) and
// write them in order once it is back; requests already written when it dropped are rejected with
// code "disconnected" (their answer can never come). After a reconnect the client first sends again
// the last register and every join it sent (minus the rooms it left), so the server knows it again.
//
// A message the server sent with an ack ({"type", "data", "ack": id}, Hub::send_to with a callback)
// is answered {"type": "ack", "id": id, "data": answer} by the handler's third argument,
// ack(answer), or by the value an async handler resolves to; a handler that throws or rejects
// answers {"type": "ack", "id": id, "error": {"code", "message"}} (code: the error's own string
// code, else "handler_error"), and so does a type nobody handles ("unknown_type"). Only the first
// answer counts; none is sent on a later connection (the server already counted it lost).
//
// Rooms with history (the server's HubSettings::history): their messages carry "room", "offset"
// and "epoch". The client keeps the last position it saw per joined room (from those messages and
// from the join's answer) and re-joins with {"since": {offset, epoch}}: the server sends what was
// missed, in order, before its answer, which says whether it "recovered" (else a "reason": "epoch
// changed", "history trimmed", "too many missed"); onRecovery listeners hear it per room.

/** An error answer from the hub, or a request that could not get one. */
export class WispError extends Error {
  /**
   * @param {string} code the error envelope's code, or "timeout", "disconnected", "closed",
   *   "queue_full" for failures on this side
   * @param {string} message
   * @param {unknown} [data] the error envelope's whole data
   */
  constructor(code, message, data) {
    super(message);
    this.name = 'WispError';
    this.code = code;
    this.data = data;
  }
}

const DEFAULTS = {
  WebSocket: undefined,
  protocols: undefined,
  reconnect: true,
  initialDelay: 500,
  maxDelay: 10_000,
  factor: 2,
  jitter: 0.5,
  attempts: Infinity,
  // The server closed on purpose (1000: e.g. Hub::disconnect) or refused this client (1008):
  // coming back would be unwelcome. Others (1001 going away, 1006 lost, 1012 restart...) retry.
  finalCloseCodes: [1000, 1008],
  requestTimeout: 10_000,
  queueLimit: 1000,
  registerType: 'register',
  joinTypes: ['join', 'join_room'],
  leaveTypes: ['leave', 'leave_room'],
};

// ws://, wss://, or a path ("/ws") on the page's own host.
function resolveUrl(url) {
  if (/^wss?:\/\//.test(url)) return url;
  if (typeof location === 'undefined') throw new TypeError(`a full ws:// or wss:// URL is needed here, not ${url}`);
  const resolved = new URL(url, location.href);
  resolved.protocol = resolved.protocol === 'https:' ? 'wss:' : 'ws:';
  return resolved.href;
}

export class WispClient {
  /**
   * Connects at once. See wisp.d.ts for the options.
   * @param {string} url ws://host/path, wss://..., or a path on the page's host ("/ws")
   * @param {Partial<typeof DEFAULTS>} [options]
   */
  constructor(url, options = {}) {
    this.url = resolveUrl(url);
    this.options = { ...DEFAULTS, ...options };
    this.WebSocket = this.options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WebSocket !== 'function') {
      throw new TypeError('no WebSocket here: pass one as options.WebSocket (e.g. from the "ws" package)');
    }
    this.clientId = null;
    this.state = 'connecting';
    this.attempt = 0; // reconnection attempts since the last open
    this.nextId = 1;
    this.handlers = new Map(); // message type (or "*") -> Set of functions
    this.stateListeners = new Set();
    this.resumeListeners = new Set();
    this.pending = new Map(); // request id -> { resolve, reject, timer, written }
    this.queue = []; // envelopes waiting for a connection
    this.registration = null; // the last register envelope's data
    this.joined = new Map(); // room -> the join envelope that joined it
    this.positions = new Map(); // joined room with history -> { offset, epoch } last seen
    this.recoveryListeners = new Set();
    this.socket = null;
    this.everOpened = false;
    this.timer = null;
    this.connect();
  }

  // ---- messages ---------------------------------------------------------------------------------

  /**
   * Calls fn(data, message, ack) for every message of this type ("*": every message); `ack` is
   * there when the server awaits an answer (see the top of this file).
   */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return this;
  }

  off(type, fn) {
    this.handlers.get(type)?.delete(fn);
    return this;
  }

  /** Sends {type, data} without waiting for an answer. Throws a WispError once closed. */
  send(type, data) {
    this.enqueue({ type, data });
  }

  /**
   * Sends {type, data, id} and resolves with the response's data, or rejects with a WispError:
   * the error envelope's code and message, or "timeout" after options.timeout ms (default
   * requestTimeout; 0 waits for ever), "disconnected", "closed" or "queue_full".
   */
  request(type, data, { timeout = this.options.requestTimeout } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: null, written: false };
      if (timeout > 0) {
        entry.timer = setTimeout(() => this.settle(id, new WispError('timeout', `no answer to ${type} in ${timeout} ms`)), timeout);
      }
      this.pending.set(id, entry);
      try {
        this.enqueue({ type, data, id });
      } catch (error) {
        this.settle(id, error);
      }
    });
  }

  /** The rooms this client joined (and will join again after a reconnect). */
  get rooms() {
    return [...this.joined.keys()];
  }

  /** The last { offset, epoch } seen in a joined room with history (undefined: none yet). */
  position(room) {
    return this.positions.get(room);
  }

  /**
   * Calls fn({ room, recovered, reason, offset, epoch }) for each room with history joined again
   * after a reconnect, once the server answered: recovered false means messages were lost
   * (reason says why) and the app should reload the room's state.
   */
  onRecovery(fn) {
    this.recoveryListeners.add(fn);
    return () => this.recoveryListeners.delete(fn);
  }

  // ---- connection -------------------------------------------------------------------------------

  /** Calls fn(state, detail) on every change: connecting, open, reconnecting, closed. */
  onState(fn) {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /**
   * Calls fn(answers) after a reconnect, once the server answered the register and joins sent
   * again: [{type, data, response}] or [{type, data, error}] in the order sent.
   */
  onResume(fn) {
    this.resumeListeners.add(fn);
    return () => this.resumeListeners.delete(fn);
  }

  /** Resolves when the connection is open (at once if it is). Rejects if the client closes. */
  opened() {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new WispError('closed', 'the client is closed'));
    return new Promise((resolve, reject) => {
      const stop = this.onState((state) => {
        if (state === 'open') resolve();
        else if (state === 'closed') reject(new WispError('closed', 'the client is closed'));
        else return;
        stop();
      });
    });
  }

  /** Closes for good: no reconnection; what is queued or awaited is rejected with "closed". */
  close(code = 1000, reason = '') {
    if (this.state === 'closed') return;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.close(code, reason);
    }
    this.finish({ code, reason });
  }

  // ---- inside ---------------------------------------------------------------------------------

  connect() {
    const socket = new this.WebSocket(this.url, this.options.protocols);
    this.socket = socket;
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.dropped(event.code, event.reason);
    socket.onerror = () => {}; // a close event follows; the error itself says nothing more
  }

  detach(socket) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {}; // a late error (closed while connecting) must not go unhandled
  }

  onOpen() {
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    if (reconnected) this.resume();
    for (const envelope of this.queue.splice(0)) this.write(envelope);
    this.setState('open', { reconnected });
  }

  // The last register and the joins, again, before anything queued.
  resume() {
    const envelopes = [];
    if (this.registration) envelopes.push({ type: this.options.registerType, data: this.registration });
    for (const [room, envelope] of this.joined) envelopes.push(this.withPosition(room, envelope));
    const answers = envelopes.map(({ type, data, answered = (answer) => answer }) => {
      const id = this.nextId++;
      const answer = new Promise((resolve) => {
        this.pending.set(id, {
          resolve: (response) => resolve(answered({ type, data, response })),
          reject: (error) => resolve(answered({ type, data, error })),
          timer: null,
          written: false,
        });
      });
      this.write({ type, data, id });
      return answer;
    });
    if (answers.length) Promise.all(answers).then((all) => this.resumeListeners.forEach((fn) => fn(all)));
  }

  // ---- history ----------------------------------------------------------------------------------

  // A join sent again asks for what was missed since the last position seen in its room.
  withPosition(room, { type, data }) {
    const since = this.positions.get(room);
    if (!since) return { type, data };
    const answered = (answer) => (this.recovery(room, answer), answer);
    return { type, data: { ...data, since }, answered };
  }

  // Keeps the position of a joined room from a room message or a join's answer.
  track(message) {
    const { room, offset, epoch } = message ?? {};
    if (typeof room !== 'string' || typeof epoch !== 'string' || !Number.isInteger(offset)) return;
    if (this.joined.has(room)) this.positions.set(room, { offset, epoch });
  }

  recovery(room, { response, error }) {
    const result = error
      ? { room, recovered: false, reason: error.code }
      : { room, recovered: response?.recovered === true, reason: response?.reason, offset: response?.offset, epoch: response?.epoch };
    for (const fn of this.recoveryListeners) fn(result);
  }

  enqueue(envelope) {
    if (this.state === 'closed') throw new WispError('closed', 'the client is closed');
    if (this.state === 'open') return this.write(envelope);
    if (this.queue.length >= this.options.queueLimit) {
      throw new WispError('queue_full', `${this.options.queueLimit} messages already wait for the connection`);
    }
    this.queue.push(envelope);
  }

  // Keeps what must be sent again after a reconnect: only what was written, so that a register or
  // join still queued is not sent twice.
  remember({ type, data }) {
    const { registerType, joinTypes, leaveTypes } = this.options;
    if (type === registerType) this.registration = data;
    const room = data && typeof data === 'object' ? data.room : undefined;
    if (typeof room !== 'string') return;
    if (joinTypes.includes(type)) this.joined.set(room, { type, data });
    else if (leaveTypes.includes(type)) {
      this.joined.delete(room);
      this.positions.delete(room);
    }
  }

  write(envelope) {
    const entry = envelope.id === undefined ? null : this.pending.get(envelope.id);
    if (envelope.id !== undefined && !entry) return; // timed out while queued
    this.socket.send(JSON.stringify(envelope));
    this.remember(envelope);
    if (entry) entry.written = true;
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return; // not an envelope: not ours to interpret
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    if (message.type === 'welcome' && message.data && typeof message.data.client_id === 'string') {
      this.clientId = message.data.client_id;
    }
    this.track(message.type === 'response' ? message.data : message);
    if (this.answer(message)) return;
    const acking = message.ack === undefined || message.ack === null ? null : this.acker(message.ack);
    for (const key of [message.type, '*']) {
      for (const fn of this.handlers.get(key) ?? []) this.handle(fn, message, acking);
    }
    if (acking && !this.handlers.get(message.type)?.size) {
      acking.fail(new WispError('unknown_type', `no handler for type "${message.type}"`));
    }
  }

  // One handler; with an ack, what it throws or its promise settles to answers the server.
  handle(fn, message, acking) {
    if (!acking) return fn(message.data, message);
    let result;
    try {
      result = fn(message.data, message, acking.ack);
    } catch (error) {
      acking.fail(error);
      throw error;
    }
    if (result && typeof result.then === 'function') result.then(acking.ack, acking.fail);
  }

  // The answers to a message sent with an ack: the first one goes out, on the connection the
  // message came on only.
  acker(id) {
    const socket = this.socket;
    let answered = false;
    const reply = (fields) => {
      if (answered) return;
      answered = true;
      if (this.socket === socket && this.state === 'open') socket.send(JSON.stringify({ type: 'ack', id, ...fields }));
    };
    return {
      ack: (answer) => reply({ data: answer ?? null }),
      fail: (error) =>
        reply({ error: { code: typeof error?.code === 'string' ? error.code : 'handler_error', message: String(error?.message ?? error) } }),
    };
  }

  // A response or error to one of our requests: settles it; true if it was one.
  answer(message) {
    if (message.id === undefined || message.id === null || !this.pending.has(message.id)) return false;
    if (message.type === 'response') return this.settle(message.id, null, message.data);
    if (message.type !== 'error') return false;
    const data = message.data ?? {};
    return this.settle(message.id, new WispError(String(data.code ?? 'error'), String(data.message ?? ''), data));
  }

  settle(id, error, value) {
    const entry = this.pending.get(id);
    if (!entry) return false;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(value);
    return true;
  }

  dropped(code, reason) {
    this.detach(this.socket);
    this.socket = null;
    this.clientId = null; // the next connection gets an id of its own
    for (const [id, entry] of this.pending) {
      if (entry.written) this.settle(id, new WispError('disconnected', `the connection closed (${code}) before the answer`));
    }
    const { reconnect, attempts, finalCloseCodes } = this.options;
    if (!reconnect || this.attempt >= attempts || finalCloseCodes.includes(code)) {
      return this.finish({ code, reason });
    }
    const delay = this.backoff(this.attempt++);
    this.setState('reconnecting', { attempt: this.attempt, delay, code, reason });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // Exponential backoff with jitter: the delay shrinks by up to `jitter` of itself, at random, so
  // that clients dropped together do not come back together.
  backoff(attempt) {
    const { initialDelay, maxDelay, factor, jitter } = this.options;
    const delay = Math.min(maxDelay, initialDelay * factor ** attempt);
    return Math.round(delay * (1 - jitter * Math.random()));
  }

  finish(detail) {
    const closed = new WispError('closed', 'the client is closed');
    for (const id of [...this.pending.keys()]) this.settle(id, closed);
    this.queue = [];
    this.setState('closed', detail);
  }

  setState(state, detail = {}) {
    this.state = state;
    for (const fn of this.stateListeners) fn(state, detail);
  }
}
