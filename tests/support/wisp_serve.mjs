// `wisp serve` for Node tests: started on 127.0.0.1 (port 0, or a given port to restart a server
// where its clients expect it), its port read from the first stdout line, stopped or killed by PID.
// Every server still running when the test process exits is killed.
//
//   const server = await startServer();            // WISP_BIN: the wisp executable
//   const again = await startServer([], server.port);
//   await killServer(server);                      // SIGKILL: clients see the TCP connection drop

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createInterface } from 'node:readline';

export const STEP_MS = 10_000; // any single wait
const LISTEN_LINE = /^wisp serve: listening on (\S+):(\d+)$/;

export const WISP = process.env.WISP_BIN;

/** Rejects with a message naming `what` if `promise` takes longer than `ms`. */
export function withTimeout(promise, what, ms = STEP_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const running = new Set();
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** Resolves with [code, signal] once the process has exited. */
// Resolves with the data of the next message of `type` on a wisp.js client (a WispClient).
export function nextMessage(client, type) {
  return withTimeout(
    new Promise((resolve) => {
      const once = (data) => {
        client.off(type, once);
        resolve(data);
      };
      client.on(type, once);
    }),
    `a ${type} message`,
  );
}

export function exited(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve([proc.exitCode, proc.signalCode]);
  }
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve([code, signal])));
}

/**
 * Starts `wisp serve --host 127.0.0.1 --port PORT ...extraArgs` and resolves once it listens:
 * { proc, port, http(path), ws(path) } (https and wss when extraArgs has --tls-cert).
 */
export async function startServer(extraArgs = [], port = 0) {
  if (!WISP) throw new Error('set WISP_BIN to the wisp executable');
  accessSync(WISP, constants.X_OK);
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), ...extraArgs];
  const tls = extraArgs.includes('--tls-cert') ? 's' : '';
  return startProgram(WISP, args, { port, tls, listenLine: LISTEN_LINE });
}

/**
 * Starts any server program whose first stdout line names its address (`listenLine`, its
 * second group the port), as startServer does: an example, say.
 */
export async function startProgram(bin, args, { port = 0, tls = '', listenLine = /listening on (\S+):(\d+)$/ } = {}) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const lines = createInterface({ input: proc.stdout }); // keeps draining stdout after the first line
  const server = {
    proc,
    port: 0,
    lines,
    http: (path) => `http${tls}://127.0.0.1:${server.port}${path}`,
    ws: (path) => `ws${tls}://127.0.0.1:${server.port}${path}`,
  };
  try {
    const first = await withTimeout(
      new Promise((resolve, reject) => {
        lines.once('line', resolve);
        lines.once('close', () => reject(new Error(`${bin} ${args.join(' ')} printed nothing (exit ${proc.exitCode})`)));
        proc.once('error', reject);
      }),
      `${bin}'s first stdout line`,
    );
    const m = listenLine.exec(first);
    assert.ok(m, `first stdout line was ${JSON.stringify(first)}, expected ${listenLine}`);
    server.port = Number(m[2]);
    assert.ok(server.port > 0 && (port === 0 || server.port === port), `${bin} listens on ${server.port}`);
    return server;
  } catch (err) {
    await killServer(server);
    throw err;
  }
}

/** SIGTERM (graceful: clients get close 1001), then SIGKILL if it does not exit in time. */
export async function stopServer({ proc }) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  try {
    await withTimeout(exited(proc), 'the server to exit after SIGTERM', 5000);
  } catch {
    await killServer({ proc });
  }
}

/** SIGKILL: the server vanishes without a close frame, as in a crash. */
export async function killServer({ proc }) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGKILL');
  await exited(proc);
}
