// The official socket.io-client against a wisp server, for node --test: sockets that are all
// closed after each test, and every wait bounded (withTimeout).
import { io } from 'socket.io-client';
import { withTimeout } from '../support/wisp_serve.mjs';

export { io };

/** Runs fn(open) where open(url, options) makes a socket; every socket is closed afterwards. */
export async function withSockets(fn) {
  const sockets = [];
  const open = (url, options = {}) => {
    const socket = io(url, { reconnection: false, forceNew: true, ...options });
    sockets.push(socket);
    return socket;
  };
  try {
    await fn(open);
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}

/** Resolves once `socket` connects; rejects with the connect_error's Error. */
export function connected(socket) {
  if (socket.connected) return Promise.resolve(socket);
  return withTimeout(
    new Promise((resolve, reject) => {
      const ok = () => {
        socket.off('connect_error', bad);
        resolve(socket);
      };
      const bad = (err) => {
        socket.off('connect', ok);
        reject(err);
      };
      socket.once('connect', ok);
      socket.once('connect_error', bad);
    }),
    'the socket to connect',
  );
}

/** Resolves with the connect_error's Error. */
export function refused(socket) {
  return withTimeout(new Promise((resolve) => socket.once('connect_error', resolve)), 'connect_error');
}

/** Resolves with the arguments of the next `event` on `socket` (an array). */
export function next(socket, event) {
  return withTimeout(new Promise((resolve) => socket.once(event, (...args) => resolve(args))), `event ${event}`);
}

/** Emits `event` with `args` and resolves with every argument of the server's ack. */
export function call(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply))), `the ack of ${event}`);
}

/** Resolves once the engine runs on `name` ("websocket" after an upgrade). */
export function onTransport(socket, name) {
  const engine = socket.io.engine;
  if (engine.transport.name === name) return Promise.resolve();
  return withTimeout(new Promise((resolve) => engine.once('upgrade', () => resolve())), `the upgrade to ${name}`);
}
