/**
 * `:generateContent` and `:streamGenerateContent`: parse, count the prompt, debit the quota,
 * wait for a slot, then answer on the latency model's schedule. A stream's first chunk arrives
 * after time to first token plus thinking, later chunks at the decode rate, each chunk carrying
 * the usage so far; a unary answer arrives when the stream's last chunk would have.
 */
import { acquireSlot, admitQuota } from '../admission.js';
import type { ApiCall } from '../api-call.js';
import type { EmulatorContext, ModelRuntime } from '../context.js';
import { invalidArgument } from '../errors.js';
import type { LatencySample } from '../latency-model.js';
import { generateTurn, type ModelTurn, type PromptUsage, promptUsage } from '../model-output.js';
import { type Random, randomId } from '../random.js';
import { type GenerateRequest, parseGenerateRequest } from '../request-schema.js';
import { responseBody, streamFrames, unaryFrame } from '../response-shape.js';
import { StreamWriter } from '../sse.js';
import { requireModel } from './models.js';

/** Checks what depends on the model, and counts the prompt. */
export function checkRequest(runtime: ModelRuntime, request: GenerateRequest): PromptUsage {
  if (runtime.profile.thinking === 'required' && request.thinkingBudget === 0) {
    throw invalidArgument('Budget 0 is invalid. This model only works in thinking mode.');
  }
  const prompt = promptUsage(request, runtime.profile);
  if (prompt.count.total > runtime.profile.inputTokenLimit) {
    throw invalidArgument(
      `The input token count (${prompt.count.total}) exceeds the maximum number of tokens allowed (${runtime.profile.inputTokenLimit}).`,
    );
  }
  return prompt;
}

interface Answer {
  turn: ModelTurn;
  latency: LatencySample;
  responseId: string;
}

/** Draws the answer from `random`: latency first, then content, then the id. */
export function planAnswer(
  ctx: EmulatorContext,
  runtime: ModelRuntime,
  request: GenerateRequest,
  prompt: PromptUsage,
  random: Random,
  load: number,
): Answer {
  const control = ctx.control.current;
  const latency = runtime.latency.sample(random, { load, multiplier: control.latencyMultiplier });
  const turn = generateTurn({
    request,
    profile: runtime.profile,
    prompt,
    latency,
    functionCallingRounds: control.functionCalling.rounds,
    random,
  });
  return { turn, latency, responseId: randomId(random) };
}

/**
 * Emulated ms from the start of generation to a frame carrying `candidatesSoFar` tokens: the
 * first chunk after time to first token and thinking, each later one when its last token is
 * decoded. `firstTokens` is what the first frame carries.
 */
function frameOffset(answer: Answer, candidatesSoFar: number, firstTokens: number): number {
  const { latency, turn } = answer;
  const decoded = Math.max(0, candidatesSoFar - firstTokens);
  return latency.ttftMs + turn.thinkingMs + (decoded / latency.decodeTokensPerSecond) * 1000;
}

/** When a unary answer is complete: when its stream's last chunk would have been sent. */
function unaryEnd(answer: Answer, chunkTokens: number): number {
  const { turn } = answer;
  const first =
    turn.functionCall || turn.text === ''
      ? turn.usage.candidates
      : Math.min(chunkTokens, turn.usage.candidates);
  return frameOffset(answer, turn.usage.candidates, first);
}

/**
 * `x-emulator-timing`: the latency this answer was drawn with (emulated ms and tokens/s, load
 * slowdown and regression included), so a benchmark can tell the emulator's schedule from the
 * time its own client and the network add.
 */
export const TIMING_HEADER = 'x-emulator-timing';

function timingHeader(answer: Answer): Record<string, string> {
  const { latency, turn } = answer;
  return {
    [TIMING_HEADER]: `ttft=${latency.ttftMs.toFixed(1)}, thinking=${turn.thinkingMs.toFixed(1)}, decode=${latency.decodeTokensPerSecond.toFixed(1)}`,
  };
}

/** Runs one batch request to its response body, without waiting or quota (the Batch API has its own). */
export function answerOffline(
  ctx: EmulatorContext,
  model: string,
  request: GenerateRequest,
  random: Random,
): Record<string, unknown> {
  const runtime = ctx.models.get(model);
  if (runtime === undefined) throw new Error(`batch model ${model} is not served`);
  const prompt = checkRequest(runtime, request);
  const { turn, responseId } = planAnswer(ctx, runtime, request, prompt, random, 1);
  const u = turn.usage;
  ctx.metrics.addTokens(model, {
    input: u.prompt.count.total,
    cached: u.prompt.cached,
    output: u.candidates,
    thoughts: u.thoughts,
    toolUsePrompt: u.toolUsePrompt,
  });
  return responseBody(unaryFrame(turn), u, model, responseId);
}

export async function handleGenerate(
  ctx: EmulatorContext,
  call: ApiCall,
  body: unknown,
  streaming: boolean,
): Promise<void> {
  const runtime = requireModel(
    ctx,
    call,
    'generate',
    streaming ? 'streamGenerateContent' : 'generateContent',
  );
  const request = parseGenerateRequest(body);
  const prompt = checkRequest(runtime, request);
  admitQuota(ctx, runtime.name, prompt.count.total);
  ctx.metrics.addTokens(runtime.name, { input: prompt.count.total, cached: prompt.cached });

  if (!(await acquireSlot(runtime, () => call.signal))) return;
  runtime.inFlight++;
  try {
    const start = ctx.clock.now();
    const answer = planAnswer(ctx, runtime, request, prompt, call.random, runtime.inFlight);
    if (streaming) await stream(ctx, call, runtime, answer, start);
    else await unary(ctx, call, runtime, answer, start);
  } finally {
    runtime.inFlight--;
    runtime.slots.release();
  }
}

async function unary(
  ctx: EmulatorContext,
  call: ApiCall,
  runtime: ModelRuntime,
  answer: Answer,
  start: number,
): Promise<void> {
  const end = start + unaryEnd(answer, runtime.profile.chunkTokens);
  if (!ctx.clock.due(end) && !(await ctx.clock.until(end, call.signal))) return;
  const u = answer.turn.usage;
  ctx.metrics.addTokens(runtime.name, {
    output: u.candidates,
    thoughts: u.thoughts,
    toolUsePrompt: u.toolUsePrompt,
  });
  call.json(
    200,
    responseBody(unaryFrame(answer.turn), u, runtime.name, answer.responseId),
    timingHeader(answer),
  );
}

async function stream(
  ctx: EmulatorContext,
  call: ApiCall,
  runtime: ModelRuntime,
  answer: Answer,
  start: number,
): Promise<void> {
  const writer = new StreamWriter(call.res, call.query.get('alt') === 'sse');
  const { turn } = answer;
  const frames = streamFrames(turn, runtime.profile.chunkTokens);
  const firstTokens = frames.find((f) => f.candidatesSoFar > 0)?.candidatesSoFar ?? 0;
  // Faults strike after the first chunk when there is more than one, so clients see a stream
  // that started well and then broke.
  const faultAt = frames.length > 1 ? 1 : 0;
  let sentCandidates = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (frame === undefined) break;
    const at = start + frameOffset(answer, frame.candidatesSoFar, firstTokens);
    if (!ctx.clock.due(at) && !(await ctx.clock.until(at, call.signal))) return;
    if (i === 0) {
      writer.start(timingHeader(answer));
      ctx.metrics.addTokens(runtime.name, {
        thoughts: turn.usage.thoughts,
        toolUsePrompt: turn.usage.toolUsePrompt,
      });
    }
    if (i === faultAt && call.fault === 'reset') {
      call.cut();
      return;
    }
    if (i === faultAt && call.fault === 'stall') {
      await call.stalled();
      return;
    }
    if (i === faultAt && call.fault === 'malformed-chunk') writer.writeMalformed();
    else writer.write(responseBody(frame, turn.usage, runtime.name, answer.responseId));
    ctx.metrics.addTokens(runtime.name, { output: frame.candidatesSoFar - sentCandidates });
    sentCandidates = frame.candidatesSoFar;
  }
  writer.end();
}
