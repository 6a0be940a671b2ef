import { createHash } from 'node:crypto';

/**
 * The one thing the Redis stores need from a client: send a raw command. Both node-redis
 * (`sendCommand([...])`) and ioredis (`call(name, ...args)`) clients are accepted as they are,
 * so the lanes do not force a Redis client library on the application.
 */
export interface RedisCommander {
  send(args: readonly string[]): Promise<unknown>;
}

/** A node-redis or ioredis client, or anything with one of their raw-command methods. */
export type RedisClientLike =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Wraps a node-redis or ioredis client; throws a clear error for anything else. */
export function redisCommander(client: RedisClientLike | RedisCommander): RedisCommander {
  const candidate = client as Partial<Record<'send' | 'sendCommand' | 'call', unknown>>;
  if (typeof candidate.send === 'function') return client as RedisCommander;
  if (typeof candidate.sendCommand === 'function') {
    const c = client as { sendCommand(args: string[]): Promise<unknown> };
    return { send: (args) => c.sendCommand([...args]) };
  }
  if (typeof candidate.call === 'function') {
    const c = client as { call(command: string, ...args: string[]): Promise<unknown> };
    return { send: ([command = '', ...rest]) => c.call(command, ...rest) };
  }
  throw new TypeError(
    'expected a connected node-redis client (with sendCommand) or an ioredis client (with call)',
  );
}

/**
 * A Lua script run with EVALSHA, loaded with EVAL the first time a server does not know it
 * (after a restart or failover the script cache is empty).
 */
export class LuaScript {
  readonly sha: string;
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: RedisCommander,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await redis.send(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message ?? error).includes('NOSCRIPT')) throw error;
      return redis.send(['EVAL', this.#source, ...tail]);
    }
  }
}
