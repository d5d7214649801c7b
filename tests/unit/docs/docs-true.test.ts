import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCommands } from '../../../cli/commands/index.ts';
import { REPO_ROOT } from '../../../infra/paths.ts';
import { anchors, codeBlocks, dougptCommands, headingSlug, linkTargets, parseHelp } from './markdown.ts';

/**
 * Docs stay true: every `dougpt` command in README.md's shell blocks names a real subcommand and real options
 * (read from each command's `--help`), and every relative link in README.md and docs/*.md resolves, anchors too.
 */

// Pages other parts of the project add; links to them are allowed until they exist, then checked like any other.
const PENDING_PAGES = new Set<string>();

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const markdownFiles = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The CLI as `./bin/dougpt.js` builds it; `helpInformation()` is the text `--help` prints. */
function cli(): Command {
  const program = new Command().name('dougpt');
  registerCommands(program);
  return program;
}

/** Why one `dougpt` argument list is wrong (empty: it names a real command and real options). */
function commandProblems(program: Command, args: string[]): string[] {
  let command = program;
  let i = 0;
  const path = ['dougpt'];
  while (i < args.length && !(args[i] as string).startsWith('-') && parseHelp(command.helpInformation()).commands.length > 0) {
    const name = args[i] as string;
    if (!parseHelp(command.helpInformation()).commands.includes(name)) return [`${path.join(' ')}: no subcommand "${name}"`];
    command = command.commands.find((c) => c.name() === name) as Command;
    path.push(name);
    i++;
  }
  if (path.length === 1 && !args.some((a) => a === '--help' || a === '-h' || a === '--version')) return ['dougpt: no subcommand named'];
  const { options } = parseHelp(command.helpInformation());
  return args
    .slice(i)
    .filter((arg) => /^--?[A-Za-z]/.test(arg))
    .map((arg) => arg.split('=')[0] as string)
    .filter((flag) => !options.includes(flag))
    .map((flag) => `${path.join(' ')}: no option ${flag}`);
}

/** Relative links of one Markdown file that lead nowhere: a missing file, or a missing heading anchor. */
function brokenLinks(file: string, text: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][\w+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [pathPart = '', anchor] = target.split('#');
    const resolved = pathPart === '' ? join(REPO_ROOT, file) : resolve(dirname(join(REPO_ROOT, file)), decodeURI(pathPart));
    const repoPath = relative(REPO_ROOT, resolved).split('\\').join('/');
    if (!existsSync(resolved)) {
      if (!PENDING_PAGES.has(repoPath)) broken.push(`${file}: ${target}: no such file`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${file}: ${target}: no heading #${anchor}`);
  }
  return broken;
}

describe('README commands name real dougpt subcommands and options', () => {
  const program = cli();
  const commands = codeBlocks(read('README.md'))
    .filter((b) => b.lang === 'sh' || b.lang === 'bash' || b.lang === '')
    .flatMap((b) => dougptCommands(b.body));

  it('reads the same commands as ./bin/dougpt.js --help prints', () => {
    const help = execFileSync(join(REPO_ROOT, 'bin/dougpt.js'), ['--help'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(parseHelp(help).commands).toEqual(parseHelp(program.helpInformation()).commands);
    expect(parseHelp(help).commands).toContain('ingest');
  });

  it('finds the commands of the README', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    expect(commands).toContainEqual(['env']);
  });

  it('each names a subcommand and options its --help lists', () => {
    expect(commands.flatMap((args) => commandProblems(program, args))).toEqual([]);
  });

  it('catches a misspelt subcommand, a wrong option and a missing nested subcommand', () => {
    const planted = dougptCommands('npx dougpt ingset --vod a.mp4\nnpx dougpt ingest --video a.mp4 --wait && ./bin/dougpt.js dataset --json');
    expect(planted.flatMap((args) => commandProblems(program, args))).toEqual([
      'dougpt: no subcommand "ingset"',
      'dougpt ingest: no option --video',
      'dougpt dataset: no option --json',
    ]);
    expect(commandProblems(program, ['dataset', 'biuld'])).toEqual(['dougpt dataset: no subcommand "biuld"']);
  });
});

describe('reading shell lines and help text', () => {
  it('splits commands at operators and substitutions and drops comments', () => {
    expect(dougptCommands('eval "$(npx dougpt env)"   # exports\nnpx dougpt sql "select 1 # not a comment" --json')).toEqual([['env'], ['sql', 'select 1 # not a comment', '--json']]);
    expect(dougptCommands("temporal workflow start --task-queue dougpt --input '{\"a\":1}'")).toEqual([]);
    expect(dougptCommands('npx dougpt simulate --vod 1 \\\n  --out chat.json && npx dougpt replay 1 --generated chat.json')).toEqual([
      ['simulate', '--vod', '1', '--out', 'chat.json'],
      ['replay', '1', '--generated', 'chat.json'],
    ]);
  });

  it('reads subcommands and options out of --help', () => {
    const help = 'Usage: dougpt x [options]\n\nOptions:\n  --vod <path|url>  the recording: a path, file:// or\n                    --not-an-option wrapped\n  -h, --help        display help\n\nCommands:\n  build [options]   build\n  diff <a> <b>      compare\n';
    expect(parseHelp(help)).toEqual({ commands: ['build', 'diff'], options: ['--vod', '-h', '--help'] });
  });
});

describe('links in README.md and docs/*.md resolve', () => {
  it('finds the links of the README and of every docs page', () => {
    expect(linkTargets(read('README.md')).length).toBeGreaterThan(20);
    expect(markdownFiles.length).toBeGreaterThanOrEqual(13);
  });

  it.each(markdownFiles)('%s', (file) => {
    expect(brokenLinks(file, read(file))).toEqual([]);
  });

  it('catches a missing file and a missing anchor, and allows only the pending pages', () => {
    const planted = '[a](docs/nothing-here.md) [b](docs/pipeline.md#no-such-heading) [c](docs/pacing.md) [d](#two-commands) ![e](docs/replay-screenshot.png) `[f](not/a/link.md)`';
    const expected = ['README.md: docs/nothing-here.md: no such file', 'README.md: docs/pipeline.md#no-such-heading: no heading #no-such-heading'];
    expect(brokenLinks('README.md', planted)).toEqual(expected);
  });

  it('makes anchors as GitHub does', () => {
    expect(headingSlug('Replay (`dougpt replay`)')).toBe('replay-dougpt-replay');
    expect(headingSlug('What is real here, and what is not')).toBe('what-is-real-here-and-what-is-not');
    expect(headingSlug('Dataset folder — `dougpt dataset build --out DIR`')).toBe('dataset-folder--dougpt-dataset-build---out-dir');
    expect([...anchors('# A\n## B\n```sh\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
  });
});
