import { createHash, randomBytes } from 'node:crypto';
import type { SourceIdentity } from '../jobs/job-source.js';

/** Every display name this runner gives a batch starts with this. */
export const DISPLAY_NAME_PREFIX = 'gemini-lanes:';

/**
 * The job's key in display names: a hash of what the input is (its size and content
 * fingerprint, or a replayable source's identity; not its path, so a moved input still finds
 * its batches). An input that cannot be named (a plain iterable, never resumed) gets a random
 * key, so two such jobs never mistake each other's batches.
 */
export function jobKeyOf(identity: SourceIdentity | undefined): string {
  if (identity === undefined) return randomBytes(6).toString('hex');
  const text =
    identity.type === 'jsonl-file'
      ? `jsonl-file\n${identity.size}\n${identity.sha256}`
      : `replayable\n${identity.identity}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Where a batch sits in its job: which requests it answers, and which submission it is. */
export interface BatchPlace {
  jobKey: string;
  /** The chunk of consecutive input lines, 0-based. */
  chunk: number;
  /** The chunk's requests for one model (a chunk with two models has two parts), 0-based. */
  part: number;
  /** 0 for the first submission; each resubmission of the part's unanswered lines adds one. */
  generation: number;
  /** `partHash` of the part's requests. */
  hash: string;
}

/**
 * The display name of a batch: `gemini-lanes:<job>:<chunk>.<part>:g<generation>:<content>`. It is
 * a function of the input and of the place alone, so a resumed run computes the same name and
 * finds the batch an earlier run created (and paid for) instead of creating it again. The content
 * hash makes a batch of a different input that happens to share the job key (an edit in the middle
 * of a large file keeps its size and fingerprint) a different name.
 */
export function displayNameOf(place: BatchPlace): string {
  return `${DISPLAY_NAME_PREFIX}${place.jobKey}:${place.chunk}.${place.part}:g${place.generation}:${place.hash}`;
}

/** Hashes a part's requests (line, id and request of each, in order) into its content key. */
export class PartHash {
  readonly #hash = createHash('sha256');

  add(line: number, id: string, requestJson: string): void {
    this.#hash.update(`${line}\n${id}\n${requestJson}\n`);
  }

  digest(): string {
    return this.#hash.digest('hex').slice(0, 12);
  }
}
