/** `gen_ai.operation.name` of each instrumented method (core's closed set of operations). */
export type Operation =
  | 'generate_content'
  | 'embeddings'
  | 'count_tokens'
  | 'compute_tokens'
  | 'batch';
