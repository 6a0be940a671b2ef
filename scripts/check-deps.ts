/**
 * The dependency-direction check (part of `pnpm test`): every import between workspace packages
 * follows the direction of docs/architecture.md, only through public entries, with no cycle
 * between packages or between the modules of one package.
 *
 *   node scripts/check-deps.ts [root]     exit 0 when clean, 1 with one line per violation
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSync } from 'oxc-parser';

const SCOPE = '@gemini-lanes/';

/**
 * Which workspace packages each package's `src/` may import (the arrows of the design's
 * package diagram). `cli` holds all command code and nothing imports it; the emulator stands
 * alone; examples use the public packages; the `test` package may use anything.
 */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  otel: ['core'],
  lanes: ['core', 'otel'],
  dashboards: ['core'],
  alerts: ['core'],
  emulator: [],
  cli: ['core', 'otel', 'lanes', 'dashboards', 'alerts', 'emulator', 'examples/*'],
  'examples/*': ['core', 'otel', 'lanes', 'dashboards', 'alerts', 'emulator'],
  test: ['*'],
};

/** Tests may also start the emulator to talk to (as a dev dependency). */
const TEST_EXTRAS = ['emulator'];

export interface Violation {
  file: string;
  message: string;
}

interface WorkspacePackage {
  /** Short name: `core`, `examples/chat-service`, `test`. */
  id: string;
  /** The rule key in ALLOWED: `core`, `examples/*`, `test`. */
  rule: string;
  name: string;
  dir: string;
  dependencies: Set<string>;
  devDependencies: Set<string>;
  exports: Set<string>;
}

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function workspaceDeps(field: unknown): Set<string> {
  const names = Object.keys((field ?? {}) as Record<string, string>);
  return new Set(names.filter((n) => n.startsWith(SCOPE)));
}

function exportedSubpaths(exportsField: unknown): Set<string> {
  if (typeof exportsField === 'string' || exportsField === undefined) return new Set(['.']);
  const keys = Object.keys(exportsField as Record<string, unknown>);
  return new Set(keys.some((k) => k.startsWith('.')) ? keys : ['.']);
}

function loadPackages(root: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  const add = (dir: string, id: string, rule: string) => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return;
    const json = readJson(manifest);
    found.push({
      id,
      rule,
      name: String(json.name),
      dir,
      dependencies: workspaceDeps(json.dependencies),
      devDependencies: workspaceDeps(json.devDependencies),
      exports: exportedSubpaths(json.exports),
    });
  };
  for (const group of ['packages', 'examples']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      if (!statSync(join(base, entry)).isDirectory()) continue;
      const id = group === 'packages' ? entry : `examples/${entry}`;
      add(join(base, entry), id, group === 'packages' ? entry : 'examples/*');
    }
  }
  add(join(root, 'test'), 'test', 'test');
  return found;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.'))
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(?:[cm]?ts|tsx|[cm]?js)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out.sort();
}

function importsOf(file: string): ImportRef[] {
  const code = readFileSync(file, 'utf8');
  const { module, errors } = parseSync(file, code);
  if (errors.length > 0) {
    throw new Error(`${file}: cannot parse: ${errors[0]?.message ?? 'syntax error'}`);
  }
  const refs: ImportRef[] = [];
  for (const imp of module.staticImports) {
    const typeOnly = imp.entries.length > 0 && imp.entries.every((e) => e.isType);
    refs.push({ specifier: imp.moduleRequest.value, typeOnly });
  }
  for (const exp of module.staticExports) {
    for (const entry of exp.entries) {
      if (entry.moduleRequest)
        refs.push({ specifier: entry.moduleRequest.value, typeOnly: entry.isType });
    }
  }
  for (const dyn of module.dynamicImports) {
    const text = code.slice(dyn.moduleRequest.start, dyn.moduleRequest.end).trim();
    const literal = /^(['"`])([^'"`$]*)\1$/.exec(text);
    if (literal?.[2] !== undefined) refs.push({ specifier: literal[2], typeOnly: false });
  }
  return refs;
}

function allowedTargets(
  pkg: WorkspacePackage,
  packages: WorkspacePackage[],
  inTests: boolean,
): Set<string> {
  const rule = ALLOWED[pkg.rule] ?? [];
  const ids = new Set<string>();
  for (const target of [...rule, ...(inTests ? TEST_EXTRAS : [])]) {
    for (const other of packages) {
      if (
        target === '*' ||
        other.id === target ||
        (target === 'examples/*' && other.rule === 'examples/*')
      ) {
        ids.add(other.id);
      }
    }
  }
  ids.delete(pkg.id);
  // Nothing ever imports the CLI.
  ids.delete('cli');
  return ids;
}

/** Resolves a relative ESM specifier to the source file it names (`./a.js` → `./a.ts`). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  const candidates = [
    target,
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.mjs$/, '.mts'),
    target.replace(/\.cjs$/, '.cts'),
    `${target}.ts`,
    join(target, 'index.ts'),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'visiting') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

/** Every violation of the dependency rules under `root` (a checkout of this repository). */
export function checkDependencyDirection(root: string): Violation[] {
  const violations: Violation[] = [];
  const packages = loadPackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const packageGraph = new Map<string, Set<string>>(packages.map((p) => [p.id, new Set()]));
  const rel = (path: string) => relative(root, path).split(sep).join('/');

  for (const pkg of packages) {
    const srcAllowed = allowedTargets(pkg, packages, false);
    const testAllowed = allowedTargets(pkg, packages, true);

    // What package.json declares is a dependency edge too, whether or not code uses it yet.
    for (const [field, deps, allowed] of [
      ['dependencies', pkg.dependencies, srcAllowed],
      ['devDependencies', pkg.devDependencies, testAllowed],
    ] as const) {
      for (const dep of deps) {
        const target = byName.get(dep);
        if (target === undefined) continue;
        packageGraph.get(pkg.id)?.add(target.id);
        if (!allowed.has(target.id)) {
          violations.push({
            file: rel(join(pkg.dir, 'package.json')),
            message: `${pkg.name} declares ${dep} in ${field}, against the direction ${describeRule(pkg)}`,
          });
        }
      }
    }

    const moduleGraph = new Map<string, Set<string>>();
    const files =
      pkg.id === 'test'
        ? sourceFiles(pkg.dir)
        : [...sourceFiles(join(pkg.dir, 'src')), ...sourceFiles(join(pkg.dir, 'test'))];
    for (const file of files) {
      const inSrc = pkg.id !== 'test' && file.startsWith(join(pkg.dir, 'src') + sep);
      const allowed = inSrc ? srcAllowed : testAllowed;
      for (const { specifier, typeOnly } of importsOf(file)) {
        if (specifier.startsWith('.')) {
          const resolved = resolveRelative(file, specifier);
          const target = resolved ?? resolve(dirname(file), specifier);
          const intoRepoScripts =
            pkg.id === 'test' && target.startsWith(join(root, 'scripts') + sep);
          if (!target.startsWith(pkg.dir + sep) && !intoRepoScripts) {
            violations.push({
              file: rel(file),
              message: `imports '${specifier}', outside ${pkg.name}; import the other package's public entry instead`,
            });
          } else if (inSrc && !target.startsWith(join(pkg.dir, 'src') + sep)) {
            violations.push({
              file: rel(file),
              message: `src/ imports '${specifier}', outside src/`,
            });
          } else if (inSrc && resolved !== undefined && !typeOnly) {
            if (!moduleGraph.has(file)) moduleGraph.set(file, new Set());
            moduleGraph.get(file)?.add(resolved);
          }
          continue;
        }
        if (!specifier.startsWith(SCOPE)) continue;
        const [scope, name, ...sub] = specifier.split('/');
        const targetName = `${scope}/${name}`;
        const target = byName.get(targetName);
        if (target === undefined) {
          violations.push({
            file: rel(file),
            message: `imports unknown workspace package '${targetName}'`,
          });
          continue;
        }
        if (target.id === pkg.id) {
          if (inSrc)
            violations.push({
              file: rel(file),
              message: `imports its own package by name ('${specifier}'); use a relative import`,
            });
          continue;
        }
        packageGraph.get(pkg.id)?.add(target.id);
        if (!allowed.has(target.id)) {
          violations.push({
            file: rel(file),
            message: `imports ${targetName}, against the direction ${describeRule(pkg)}`,
          });
          continue;
        }
        const subpath = sub.length === 0 ? '.' : `./${sub.join('/')}`;
        if (!target.exports.has(subpath)) {
          violations.push({
            file: rel(file),
            message: `imports '${specifier}', which ${targetName} does not export (public entries: ${[...target.exports].join(', ')})`,
          });
        }
        const declared = inSrc
          ? pkg.dependencies
          : new Set([...pkg.dependencies, ...pkg.devDependencies]);
        if (!declared.has(targetName)) {
          violations.push({
            file: rel(file),
            message: `imports ${targetName} without declaring it in ${pkg.name}'s ${inSrc ? 'dependencies' : 'dependencies or devDependencies'}`,
          });
        }
      }
    }
    const moduleCycle = findCycle(moduleGraph);
    if (moduleCycle) {
      violations.push({
        file: rel(moduleCycle[0] ?? pkg.dir),
        message: `import cycle inside ${pkg.name}: ${moduleCycle.map(rel).join(' -> ')}`,
      });
    }
  }

  const packageCycle = findCycle(packageGraph);
  if (packageCycle) {
    violations.push({ file: 'packages', message: `package cycle: ${packageCycle.join(' -> ')}` });
  }
  return violations;
}

function describeRule(pkg: WorkspacePackage): string {
  const allowed = ALLOWED[pkg.rule] ?? [];
  return `(${pkg.id} may import ${allowed.length > 0 ? allowed.join(', ') : 'no workspace package'})`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkDependencyDirection(root);
  for (const v of violations) process.stderr.write(`${v.file}: ${v.message}\n`);
  if (violations.length > 0) {
    process.stderr.write(
      `dependency check: ${violations.length} violation(s); the rules are in docs/architecture.md\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(
      'dependency check: every import follows the package direction, no cycles\n',
    );
  }
}
