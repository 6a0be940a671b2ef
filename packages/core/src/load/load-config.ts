import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { ConfigError } from '../config/config-error.js';
import { validateConfig } from '../config/define-config.js';
import type { GeminiLanesConfig } from '../config/schema.js';

/** File extensions `loadConfigFile` reads. */
export const CONFIG_EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.json', '.yaml', '.yml'] as const;

/**
 * Reads, validates and resolves a configuration file: `.json`, `.yaml`/`.yml`, or a module
 * (`.ts`, `.mts`, `.mjs`, `.js`) whose default export is the configuration (plain or from
 * `defineConfig`). TypeScript runs through Node's own type stripping, so it must use erasable
 * syntax only. Throws `ConfigError` naming the file and every problem, syntax errors with
 * their line.
 */
export async function loadConfigFile(path: string): Promise<GeminiLanesConfig> {
  const file = resolve(path);
  const input = await readConfigInput(file);
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigError(result.issues, file);
  return result.config;
}

async function readConfigInput(file: string): Promise<unknown> {
  const extension = extname(file);
  if (!(CONFIG_EXTENSIONS as readonly string[]).includes(extension)) {
    throw new ConfigError(
      [
        {
          path: '',
          message: `cannot read ${extension || 'extension-less'} files; use one of ${CONFIG_EXTENSIONS.join(', ')}`,
        },
      ],
      file,
    );
  }
  if (extension === '.json' || extension === '.yaml' || extension === '.yml') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw fileProblem(file, `cannot be read: ${(error as Error).message}`, error);
    }
    return extension === '.json' ? parseJson(file, text) : parseYaml(file, text);
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues, file);
    throw fileProblem(file, `failed to load: ${(error as Error).message}`, error);
  }
  if (module.default === undefined) {
    throw fileProblem(file, 'has no default export; write `export default defineConfig({ ... })`');
  }
  return module.default;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fileProblem(file, `is not valid JSON: ${(error as Error).message}`, error);
  }
}

function parseYaml(file: string, text: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [first] = document.errors;
  if (first !== undefined) {
    const line = first.linePos?.[0];
    const where = line ? ` at line ${line.line}, column ${line.col}` : '';
    throw fileProblem(file, `is not valid YAML${where}: ${first.message.split('\n')[0]}`, first);
  }
  return document.toJS() ?? {};
}

function fileProblem(file: string, message: string, cause?: unknown): ConfigError {
  const error = new ConfigError([{ path: '', message }], file);
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause });
  return error;
}
