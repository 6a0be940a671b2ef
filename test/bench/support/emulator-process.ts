/**
 * The emulator in a process of its own, so a benchmark's measurements do not count the
 * emulator's CPU. `startEmulatorProcess(options)` spawns this file, which serves until SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';

const SELF = fileURLToPath(import.meta.url);

export interface EmulatorProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts an emulator child on 127.0.0.1 and resolves once it listens. */
export function startEmulatorProcess(options: EmulatorOptions): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [SELF, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator child did not start')), 20_000);
    child.stdout?.on('data', (data) => {
      out += String(data);
      const ready = /READY (\S+)\n/.exec(out);
      if (!ready?.[1]) return;
      clearTimeout(timer);
      resolve({
        url: ready[1],
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
}

if (process.argv[1] === SELF) {
  const handle = await startEmulator(JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions);
  process.stdout.write(`READY ${handle.url}\n`);
  process.once('SIGTERM', () => {
    handle.close().then(() => process.exit(0));
  });
}
