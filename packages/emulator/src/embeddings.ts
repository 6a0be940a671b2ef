/**
 * Embedding vectors: unit-length, the same for the same text in every run (seeded by the text),
 * and different for different texts, so similarity search over them behaves sensibly.
 */
import { Random, seedFromString } from './random.js';
import type { Content } from './request-schema.js';

/** The embedding of a content's text parts, `dimensions` long. */
export function embeddingValues(content: Content, dimensions: number): number[] {
  const text = content.parts.map((p) => p.text ?? '').join('\n');
  const random = new Random(seedFromString(text));
  const values = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = random.normal();
    values[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) values[i] = Math.round((values[i] ?? 0) * scale * 1e8) / 1e8;
  return values;
}
