import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { notFound } from '../http/http-error.js';
import { readJsonObject } from '../http/json-body.js';
import { sendJson } from '../http/responses.js';
import type { RouteContext } from './route-context.js';

/** Inline job requests may be large: a few thousand requests in one body. */
const JOB_BODY_LIMIT = 64 * 1024 * 1024;

/** `POST /jobs`: starts a job; 202 with its status and `Location: /jobs/<id>`. */
export async function startJob(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req, JOB_BODY_LIMIT);
  const status = await ctx.jobs.start(body);
  sendJson(ctx.res, 202, status, { location: `/jobs/${status.id}` });
}

/** `GET /jobs`: every job of this process. */
export async function listJobs(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, { jobs: ctx.jobs.list() });
}

/** `GET /jobs/:id`: state and progress (done, failed, in flight, tokens per second, cost, ETA). */
export async function getJob(ctx: RouteContext): Promise<void> {
  const status = ctx.jobs.get(ctx.params.id ?? '');
  if (status === undefined) throw notFound(`no job ${ctx.params.id}`);
  sendJson(ctx.res, 200, status);
}

/** `DELETE /jobs/:id`: cancels the job and answers once it has stopped; it resumes from its checkpoint when started again. */
export async function cancelJob(ctx: RouteContext): Promise<void> {
  const status = await ctx.jobs.cancel(ctx.params.id ?? '');
  if (status === undefined) throw notFound(`no job ${ctx.params.id}`);
  sendJson(ctx.res, 200, status);
}

/** `GET /jobs/:id/results`: the results JSONL as written so far. */
export async function jobResults(ctx: RouteContext): Promise<void> {
  const status = ctx.jobs.get(ctx.params.id ?? '');
  if (status === undefined) throw notFound(`no job ${ctx.params.id}`);
  const exists = await stat(status.output).then(
    () => true,
    () => false,
  );
  if (!exists) throw notFound(`job ${status.id} has written no results yet`);
  ctx.res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
  await pipeline(createReadStream(status.output), ctx.res, { signal: ctx.signal });
}
