import { GeminiLanesError } from '../errors.js';

/** One problem with a configuration: where (`lanes.latency.sla.ttftMs`) and what. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The configuration is invalid; `issues` lists every problem, each naming its field and value. */
export class ConfigError extends GeminiLanesError {
  readonly issues: readonly ConfigIssue[];
  /** The file the configuration came from, when it came from one. */
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string) {
    const where = file ? ` in ${file}` : '';
    const list = issues.map((i) => `  - ${formatIssue(i)}`).join('\n');
    super('ERR_CONFIG_INVALID', `invalid gemini-lanes configuration${where}:\n${list}`);
    this.issues = issues;
    this.file = file;
  }
}

/** `path message`, or just the message for problems with the whole file. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path} ${issue.message}` : issue.message;
}
