/**
 * `pnpm --filter @gemini-lanes/example-chat-service start`: the chat service on 127.0.0.1:8080
 * (PORT), its metrics on 127.0.0.1:9465/metrics (METRICS_PORT). With GEMINI_API_KEY set it
 * calls Gemini; without it, an embedded emulator with realistic latency stands in.
 */
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { DEFAULT_METRICS_PORT, DEFAULT_PORT, startChatService } from './chat-service.js';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`${name} must be a port number (got ${JSON.stringify(raw)})`);
  }
  return port;
}

const apiKey = process.env.GEMINI_API_KEY;
let emulator: EmulatorHandle | undefined;
if (!apiKey) emulator = await startEmulator({ seed: 1 });

const service = await startChatService({
  apiKey: apiKey || 'emulator',
  ...(emulator ? { baseUrl: emulator.url } : {}),
  port: portFrom('PORT', DEFAULT_PORT),
  metrics: { port: portFrom('METRICS_PORT', DEFAULT_METRICS_PORT) },
});

process.stdout.write(
  [
    `chat service on ${service.url} (latency lane, ${emulator ? `embedded emulator at ${emulator.url}: set GEMINI_API_KEY to call Gemini` : 'Gemini API'})`,
    `metrics on ${service.metricsUrl ?? '(none)'}`,
    'try:',
    `  curl -N ${service.url}/chat -H 'content-type: application/json' -d '{"message":"Explain head-of-line blocking in one paragraph."}'`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await service.close();
  await emulator?.close();
  process.stdout.write('chat service stopped\n');
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
