// Starts `apex serve` on the committed data with the built dashboard, on a free port
// (`--port 0`; the port is read from its log), for the e2e test and bench/dashboard_bench.mjs.
import { spawn } from 'node:child_process';
import path from 'node:path';

// Returns { child, port (a promise), log () => stderr so far }. dataDir defaults to the
// committed data.
export function startApexServe({ binary, source, webDir, env = {}, dataDir = path.join(source, 'data') }) {
  // setpriv --pdeathsig (util-linux): the kernel kills apex when this process dies, a crash
  // included, so a failed run never leaves a server behind.
  const args = ['--pdeathsig', 'KILL', '--', binary, 'serve', '--data-dir', dataDir, '--port', '0', '--web-dir', webDir];
  const child = spawn('setpriv', args, {
    cwd: source,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /serving .* on http:\/\/[^:]+:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`apex serve exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, port, log: () => stderr };
}
