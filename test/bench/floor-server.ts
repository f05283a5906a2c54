/**
 * The floor of `npm run bench:floor`: the least an HTTP JSON API can do on this machine with
 * node:http, one process, one thread. It reads the request body, parses it as JSON (a GraphQL
 * server must), and answers a fixed 100-byte JSON body. It speaks load-server.ts's IPC (ready,
 * reset, stats, exit) so that the benchmark drives it like any other server; it runs no model, so
 * its runs and items are 0.
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const unpadded = JSON.stringify({ data: { ok: true, padding: '' } });
const answer = Buffer.from(JSON.stringify({ data: { ok: true, padding: 'x'.repeat(100 - unpadded.length) } }));

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      response.writeHead(400).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let cpuBaseline = process.cpuUsage();
loopDelay.enable();
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'reset') {
    loopDelay.reset();
    cpuBaseline = process.cpuUsage();
    process.send!({ cmd: 'reset-done' });
  } else if (message.cmd === 'stats') {
    const rssMb = process.memoryUsage.rss() / 2 ** 20;
    process.send!({
      cmd: 'stats',
      runs: 0,
      items: 0,
      eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopMaxMs: loopDelay.max / 1e6,
      peakRssMb: rssMb,
      cpuMs: cpuMs(process.cpuUsage(cpuBaseline)),
    });
  } else if (message.cmd === 'exit') {
    server.close();
    process.exit(0);
  }
});
process.send!({ cmd: 'ready', port: typeof address === 'object' && address ? address.port : 0, decisions: {} });

function cpuMs({ user, system }: NodeJS.CpuUsage): number {
  return (user + system) / 1000;
}
