import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateContentResponse } from '@google/genai';
import { afterEach, beforeEach } from 'vitest';
import type { JobExecutor, JobResult } from '../../../src/index.js';

/** A temporary directory, removed by `cleanup()`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-jobs-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh temporary directory for each test of the file, as `.dir`; removed after the test. */
export function useTempDir(): { readonly dir: string } {
  let current: { dir: string; cleanup: () => Promise<void> } | undefined;
  beforeEach(async () => {
    current = await tempDir();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get dir(): string {
      if (current === undefined) throw new Error('useTempDir: the directory exists only in a test');
      return current.dir;
    },
  };
}

/** A small seeded PRNG (mulberry32): the same sequence on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MODEL = 'gemini-2.5-flash-lite';

/** An input line for request `id`. */
export function requestLine(id: string, text = `prompt ${id}`): string {
  return JSON.stringify({ id, request: { model: MODEL, contents: text } });
}

/** Writes `n` request lines (ids `r1` ... `rn`) and returns the path. */
export async function writeInput(path: string, lines: string[]): Promise<string> {
  await writeFile(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return path;
}

export function requestLines(n: number, prefix = 'r'): string[] {
  return Array.from({ length: n }, (_, i) => requestLine(`${prefix}${i + 1}`));
}

/** The output's lines, parsed; throws on a line that is not JSON. */
export async function readResults(path: string): Promise<JobResult[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JobResult);
}

/** A response like the API's, echoing the id, with usage. */
export function fakeResponse(id: string): GenerateContentResponse {
  return {
    candidates: [{ content: { role: 'model', parts: [{ text: `answer ${id}` }] } }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: MODEL,
  } as GenerateContentResponse;
}

/** Resolves after the event loop has run `turns` times: lets settled work propagate, no timers. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A manually released promise. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An executor answering at once, recording the ids it was called with. */
export function echoExecutor(calls: string[] = []): JobExecutor {
  return async (_request, { id, onAttempt }) => {
    calls.push(id);
    onAttempt(1);
    return fakeResponse(id);
  };
}

/** Polls `check` until it holds, failing after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
