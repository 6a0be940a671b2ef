import { type AttributeKey, labelName, promqlAlternation, promqlString } from '@gemini-lanes/core';

/** One PromQL label matcher, already rendered: `gemini_lanes_lane=~"$lane"`. */
export type LabelMatcher = string;

function render(label: string, op: '=' | '!=' | '=~' | '!~', value: string): LabelMatcher {
  return `${label}${op}"${value}"`;
}

/** `label="value"` for an attribute; the label name comes from core, the value is escaped. */
export function equals(attribute: AttributeKey, value: string): LabelMatcher {
  return render(labelName(attribute), '=', promqlString(value));
}

/** `label!="value"`. */
export function notEquals(attribute: AttributeKey, value: string): LabelMatcher {
  return render(labelName(attribute), '!=', promqlString(value));
}

/** `label=~"a|b"`: one of the given literal values. */
export function oneOf(attribute: AttributeKey, values: readonly string[]): LabelMatcher {
  if (values.length === 1) return equals(attribute, values[0] as string);
  return render(labelName(attribute), '=~', promqlAlternation(values));
}

/**
 * `label=~"$variable"`: a multi-value or include-All template variable, which Grafana expands
 * into a regex alternation (`(a|b)`), so it must be matched with `=~`, never `=`.
 */
export function matchesVariable(attribute: AttributeKey, variable: string): LabelMatcher {
  return render(labelName(attribute), '=~', `$${variable}`);
}

/** `label="$variable"`: a single-value variable without All (Grafana does not regex-escape it). */
export function equalsVariable(label: string, variable: string): LabelMatcher {
  return render(label, '=', `$${variable}`);
}

/** `label="value"` for a label that is not a catalog attribute (`job`, user selectors). */
export function rawEquals(label: string, value: string): LabelMatcher {
  return render(label, '=', promqlString(value));
}
