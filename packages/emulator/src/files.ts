/**
 * The Files API's storage: resumable upload sessions (start, upload chunks at offsets,
 * finalize, query, cancel), stored files that expire 48 emulated hours after upload, and files
 * the emulator generates itself (batch results). Bytes live in memory.
 */
import { createHash } from 'node:crypto';
import type { ScaledClock } from './clock.js';
import { failedPrecondition, fileNotAccessible, HttpError, invalidArgument } from './errors.js';
import { type Random, randomId } from './random.js';

const FILE_TTL_MS = 48 * 3600 * 1000;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface StoredFile {
  /** The id after `files/`. */
  id: string;
  displayName: string | undefined;
  mimeType: string;
  bytes: Buffer;
  createdAt: number;
  source: 'UPLOADED' | 'GENERATED';
}

interface UploadSession {
  id: string;
  fileId: string;
  displayName: string | undefined;
  mimeType: string;
  declaredSize: number | undefined;
  chunks: Buffer[];
  received: number;
}

export interface UploadStart {
  name: string | undefined;
  displayName: string | undefined;
  mimeType: string;
  declaredSize: number | undefined;
}

export type UploadProgress =
  | { status: 'active'; received: number }
  | { status: 'final'; received: number; file: StoredFile }
  | { status: 'cancelled'; received: number };

export class FileStore {
  readonly #files = new Map<string, StoredFile>();
  readonly #sessions = new Map<string, UploadSession>();
  readonly #clock: ScaledClock;
  readonly #random: Random;
  readonly #uploadLimit: number;

  constructor(clock: ScaledClock, random: Random, uploadLimitBytes: number) {
    this.#clock = clock;
    this.#random = random;
    this.#uploadLimit = uploadLimitBytes;
  }

  get size(): number {
    return this.#files.size;
  }

  /** Opens a resumable upload; returns its session id. */
  start(upload: UploadStart): string {
    let fileId: string;
    if (upload.name !== undefined) {
      const id = upload.name.startsWith('files/') ? upload.name.slice(6) : upload.name;
      if (!/^[a-z0-9-]{1,40}$/.test(id) || id.startsWith('-') || id.endsWith('-')) {
        throw invalidArgument(
          `* CreateFileRequest.file.name: File name may only contain lowercase alphanumeric characters or dashes (-) and cannot begin or end with a dash (got ${JSON.stringify(upload.name)}).\n`,
        );
      }
      if (this.get(id) !== undefined) {
        throw new HttpError(409, 'ALREADY_EXISTS', `File files/${id} already exists.`);
      }
      fileId = id;
    } else {
      fileId = randomId(this.#random, 12, ID_ALPHABET);
    }
    if (upload.declaredSize !== undefined && upload.declaredSize > this.#uploadLimit) {
      throw invalidArgument(
        `File size ${upload.declaredSize} bytes exceeds the limit of ${this.#uploadLimit} bytes.`,
      );
    }
    const id = randomId(this.#random, 32, ID_ALPHABET);
    this.#sessions.set(id, {
      id,
      fileId,
      displayName: upload.displayName,
      mimeType: upload.mimeType,
      declaredSize: upload.declaredSize,
      chunks: [],
      received: 0,
    });
    return id;
  }

  /** Whether an upload session exists. */
  hasSession(id: string): boolean {
    return this.#sessions.has(id);
  }

  /**
   * Applies an `X-Goog-Upload-Command` (`upload`, `finalize`, `upload, finalize`, `query`,
   * `cancel`) with the bytes at `offset`.
   */
  command(
    sessionId: string,
    command: string,
    offset: number | undefined,
    bytes: Buffer,
  ): UploadProgress {
    const session = this.#sessions.get(sessionId);
    if (session === undefined)
      throw new HttpError(404, 'NOT_FOUND', 'Upload session not found or already finished.');
    const verbs = command
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter((v) => v !== '');
    if (
      verbs.length === 0 ||
      verbs.some((v) => !['upload', 'finalize', 'query', 'cancel'].includes(v))
    ) {
      throw invalidArgument(`Unsupported X-Goog-Upload-Command ${JSON.stringify(command)}.`);
    }
    if (verbs.includes('cancel')) {
      this.#sessions.delete(sessionId);
      return { status: 'cancelled', received: session.received };
    }
    if (verbs.includes('query')) return { status: 'active', received: session.received };
    if (verbs.includes('upload')) {
      if (offset === undefined || offset !== session.received) {
        throw invalidArgument(
          `X-Goog-Upload-Offset must be ${session.received}, the bytes received so far (got ${offset ?? 'none'}).`,
        );
      }
      if (session.received + bytes.length > this.#uploadLimit) {
        this.#sessions.delete(sessionId);
        throw invalidArgument(`File exceeds the limit of ${this.#uploadLimit} bytes.`);
      }
      session.chunks.push(bytes);
      session.received += bytes.length;
    }
    if (!verbs.includes('finalize')) return { status: 'active', received: session.received };
    if (session.declaredSize !== undefined && session.received !== session.declaredSize) {
      throw failedPrecondition(
        `Upload finalized with ${session.received} bytes but ${session.declaredSize} were declared.`,
      );
    }
    this.#sessions.delete(sessionId);
    const file: StoredFile = {
      id: session.fileId,
      displayName: session.displayName,
      mimeType: session.mimeType,
      bytes: Buffer.concat(session.chunks),
      createdAt: this.#clock.now(),
      source: 'UPLOADED',
    };
    this.#files.set(file.id, file);
    return { status: 'final', received: session.received, file };
  }

  /** Stores a file the emulator made (a batch's results). */
  addGenerated(id: string, mimeType: string, bytes: Buffer, displayName?: string): StoredFile {
    const file: StoredFile = {
      id,
      displayName,
      mimeType,
      bytes,
      createdAt: this.#clock.now(),
      source: 'GENERATED',
    };
    this.#files.set(id, file);
    return file;
  }

  /** A live file, or undefined when missing or expired. */
  get(id: string): StoredFile | undefined {
    const file = this.#files.get(id);
    if (file === undefined) return undefined;
    if (this.#clock.now() >= file.createdAt + FILE_TTL_MS) {
      this.#files.delete(id);
      return undefined;
    }
    return file;
  }

  /** A live file, or the API's 403 for a missing one. */
  require(id: string): StoredFile {
    const file = this.get(id);
    if (file === undefined) throw fileNotAccessible(id);
    return file;
  }

  delete(id: string): void {
    this.require(id);
    this.#files.delete(id);
  }

  /** Live files, oldest first. */
  list(): StoredFile[] {
    return [...this.#files.keys()]
      .map((id) => this.get(id))
      .filter((f): f is StoredFile => f !== undefined);
  }

  /** The `File` resource as the API describes it. */
  resource(file: StoredFile, baseUrl: string, version: string): Record<string, unknown> {
    const created = this.#clock.timestamp(file.createdAt);
    return {
      name: `files/${file.id}`,
      ...(file.displayName !== undefined ? { displayName: file.displayName } : {}),
      mimeType: file.mimeType,
      sizeBytes: String(file.bytes.length),
      createTime: created,
      updateTime: created,
      expirationTime: this.#clock.timestamp(file.createdAt + FILE_TTL_MS),
      sha256Hash: Buffer.from(createHash('sha256').update(file.bytes).digest('hex')).toString(
        'base64',
      ),
      uri: `${baseUrl}/${version}/files/${file.id}`,
      ...(file.source === 'GENERATED'
        ? { downloadUri: `${baseUrl}/download/${version}/files/${file.id}:download?alt=media` }
        : {}),
      state: 'ACTIVE',
      source: file.source,
    };
  }
}
