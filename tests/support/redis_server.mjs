// A redis-server for the Node and browser tests: on a free loopback port, no persistence, ended
// by its PID.
import { spawn } from 'node:child_process';
import { connect as tcpConnect, createServer } from 'node:net';
import { withTimeout } from './wisp_serve.mjs';

// A redis-server on a free loopback port (or `port`: a restart where its clients expect it), no
// persistence; stop() ends it by its PID.
export async function startRedis(port = 0) {
  if (!port) port = await freePort();
  return startRedisOn(port);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
}

async function startRedisOn(port) {
  const proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exitedEarly = new Promise((_, reject) => proc.once('exit', () => reject(new Error('redis-server exited'))));
  const accepts = () =>
    new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
  const up = async () => {
    while (!(await accepts())) await new Promise((resolve) => setTimeout(resolve, 20)); // retrying a refused connect
  };
  await withTimeout(Promise.race([up(), exitedEarly]), 'redis-server to accept');
  const stop = () => {
    if (proc.exitCode !== null) return Promise.resolve();
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    return withTimeout(gone, 'redis-server to stop');
  };
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
