// npx tsx infra/layers/check-layers.ts [--json] [--root DIR]
//
// Checks the import rules of infra/layers/layer-rules.ts over the project's TypeScript sources, reading
// each file's imports with the TypeScript compiler's parser (static, dynamic, re-exports, require).
// Exit 0: no violation; 1: violations, one line each; 2: bad arguments.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LAYER_RULES, SOURCE_FOLDERS, type ImportTarget, type LayerRule } from './layer-rules.ts';

/** One import of a source file. */
export interface ImportRef {
  specifier: string;
  line: number;
  /** Erased at run time: `import type`, all-type named imports, `export type … from`, `import('x').T`. */
  typeOnly: boolean;
}

export interface Violation {
  file: string;
  line: number;
  rule: string;
  specifier: string;
  target: string;
  why: string;
}

/**
 * Every import of one TypeScript source, with its line (1-based).
 *
 * @example
 * listImports("import type { A } from './a.ts';\nimport { b } from 'b';") // [{ specifier: './a.ts', line: 1, typeOnly: true }, { specifier: 'b', line: 2, typeOnly: false }]
 */
export function listImports(text: string, fileName = 'source.ts'): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, typeOnly: boolean) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier: literal.text, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node, node.moduleSpecifier, importIsTypeOnly(node.importClause));
    } else if (ts.isExportDeclaration(node)) {
      const allTypes = node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || allTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    } else if (ts.isCallExpression(node)) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire) add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function importIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // `import 'x'` runs x for its effects
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Where `specifier`, imported by the project file `file` (repo-relative, `/`-separated), leads. */
export function resolveTarget(file: string, specifier: string): ImportTarget {
  if (specifier.startsWith('.')) return { kind: 'project', path: posix.normalize(posix.join(posix.dirname(file), specifier)) };
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return { kind: 'builtin', name: specifier };
  const parts = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier) };
}

const describeTarget = (target: ImportTarget): string => (target.kind === 'project' ? target.path : target.name);

/**
 * The rule violations in a set of sources (paths repo-relative, `/`-separated). Pure: the CLI and the tests
 * feed it files from disk or planted in memory.
 */
export function checkSources(files: ReadonlyArray<{ path: string; text: string }>, rules: readonly LayerRule[] = LAYER_RULES): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const applicable = rules.filter((rule) => file.path.startsWith(rule.from));
    if (applicable.length === 0) continue;
    for (const ref of listImports(file.text, file.path)) {
      const target = resolveTarget(file.path, ref.specifier);
      for (const rule of applicable) {
        if (ref.typeOnly && rule.typesExempt) continue;
        if (!rule.forbids(target)) continue;
        violations.push({ file: file.path, line: ref.line, rule: rule.name, specifier: ref.specifier, target: describeTarget(target), why: rule.why });
      }
    }
  }
  return violations;
}

/** The TypeScript sources under the checked folders of `root`, repo-relative and sorted. */
export function readSources(root: string): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(c|m)?tsx?$/.test(name) && !name.endsWith('.d.ts')) files.push({ path: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  for (const folder of SOURCE_FOLDERS) {
    const dir = join(root, folder);
    if (existsSync(dir)) walk(dir);
  }
  return files;
}

export const formatViolation = (v: Violation): string => `${v.file}:${v.line}: ${v.rule}: imports ${v.target} (${v.why})`;

const HELP = `Usage: npx tsx infra/layers/check-layers.ts [--json] [--root DIR]

Checks that each folder imports only what its layer allows (rules: infra/layers/layer-rules.ts,
drawn in docs/architecture.md). Prints one line per violation and exits 1 when there is any.

Options:
  --root DIR  repository to check (default: this one)
  --json      print {"files": N, "violations": [...]} instead of lines
  -h, --help  this help`;

function main(argv: string[]): number {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      return 0;
    } else if (arg === '--json') json = true;
    else if (arg === '--root' && argv[i + 1]) root = resolve(argv[++i] as string);
    else {
      console.error(`check-layers: unknown argument ${JSON.stringify(arg)} (see --help)`);
      return 2;
    }
  }
  if (!existsSync(root)) {
    console.error(`check-layers: --root ${root}: no such folder`);
    return 2;
  }
  const files = readSources(root);
  const violations = checkSources(files);
  if (json) console.log(JSON.stringify({ files: files.length, violations }, null, 2));
  else if (violations.length === 0) console.log(`layers: ${files.length} files, ${LAYER_RULES.length} rules, no violation`);
  else for (const v of violations) console.error(formatViolation(v));
  return violations.length === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
