import {
  ATTR,
  type AttributeKey,
  labelName,
  leMatcher,
  promqlAlternation,
  promqlString,
  type VALUES,
} from '@gemini-lanes/core';

/**
 * One rendered PromQL label matcher and the catalog attribute it tests, so a selector can refuse
 * a matcher on an attribute its metric never carries (a typo would otherwise match nothing).
 */
export interface LabelMatcher {
  /** The catalog attribute, or undefined for Prometheus's own labels (`le`, `job`) and configured selectors. */
  readonly attribute: AttributeKey | undefined;
  /** `gemini_lanes_lane="latency"`. */
  readonly text: string;
}

/** Attributes whose values form a closed set in the catalog (`VALUES`). */
export type ClosedAttribute = keyof typeof VALUES & keyof typeof ATTR;
/** A value of a closed attribute, checked against the catalog at compile time. */
export type ValueOf<K extends ClosedAttribute> = (typeof VALUES)[K][number];

function render(attribute: AttributeKey, op: '=' | '!=' | '=~', body: string): LabelMatcher {
  return { attribute, text: `${labelName(attribute)}${op}"${body}"` };
}

/** `label="value"` for a closed attribute (`equals('lane', 'latency')`). */
export function equals<K extends ClosedAttribute>(key: K, value: ValueOf<K>): LabelMatcher {
  return render(ATTR[key], '=', promqlString(value));
}

/** `label=~"a|b"`, or `label="a"` for one value. */
export function oneOf<K extends ClosedAttribute>(
  key: K,
  values: readonly ValueOf<K>[],
): LabelMatcher {
  if (values.length === 1) return equals(key, values[0] as ValueOf<K>);
  return render(ATTR[key], '=~', promqlAlternation(values));
}

/** `error_type=""`: the call did not fail (the label is absent). */
export function withoutError(): LabelMatcher {
  return render(ATTR.errorType, '=', '');
}

/** `error_type!="<type>"`: every call but those that ended with this error type. */
export function errorTypeIsNot(errorType: string): LabelMatcher {
  return render(ATTR.errorType, '!=', promqlString(errorType));
}

/** The bucket whose upper bound is `seconds`, on Prometheus 2 (`le="1"`) and 3 (`le="1.0"`). */
export function bucketBound(seconds: number): LabelMatcher {
  return { attribute: undefined, text: leMatcher(seconds) };
}

/** `label="value"` for a label that is not a catalog attribute (`job`, configured selectors). */
export function rawEquals(label: string, value: string): LabelMatcher {
  return { attribute: undefined, text: `${label}="${promqlString(value)}"` };
}
