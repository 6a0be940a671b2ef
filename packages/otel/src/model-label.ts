/** How many distinct model label values one process records before folding the rest. */
export const DEFAULT_MODEL_LABEL_LIMIT = 32;
/** The label value every model beyond the limit (or a missing one) folds into. */
export const OTHER_MODEL = '_OTHER';

/**
 * The model name as the API and the price table know it: resource prefixes dropped
 * (`models/gemini-2.5-flash`, `publishers/google/models/gemini-2.5-flash` and
 * `projects/p/locations/l/publishers/google/models/gemini-2.5-flash` all give
 * `gemini-2.5-flash`); tuned models (`tunedModels/…`) keep their name.
 */
export function normalizeModel(model: string): string {
  const at = model.lastIndexOf('models/');
  if (at === -1) return model;
  if (at >= 5 && model.slice(at - 5, at) === 'tuned') return model;
  return model.slice(at + 'models/'.length);
}

/**
 * Bounded model label values: normalised, and once `limit` distinct values have been seen,
 * every new one becomes `_OTHER`, so a typo or a model per tenant cannot grow the number of
 * series without bound. The first `limit` models seen keep their own label for the life of
 * the process.
 */
export class ModelLabels {
  readonly #limit: number;
  readonly #labels = new Map<string, string>();
  #distinct = 0;

  constructor(limit = DEFAULT_MODEL_LABEL_LIMIT) {
    this.#limit = limit;
  }

  /** The label for `model` (`_OTHER` when missing or beyond the limit). */
  label(model: string | undefined): string {
    if (model === undefined || model === '') return OTHER_MODEL;
    const known = this.#labels.get(model);
    if (known !== undefined) return known;
    const normalized = normalizeModel(model);
    let label = this.#labels.get(normalized);
    if (label === undefined) {
      if (this.#distinct < this.#limit) {
        label = normalized;
        this.#distinct++;
        this.#labels.set(normalized, label);
      } else {
        label = OTHER_MODEL;
      }
    }
    // Remember raw spellings only while the map is small: the cache must be bounded too.
    if (this.#labels.size < this.#limit * 4) this.#labels.set(model, label);
    return label;
  }
}
