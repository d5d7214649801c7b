/**
 * What the docs test reads out of Markdown: fenced code blocks, links, heading anchors (GitHub's rule) and
 * the `dougpt` command lines inside shell blocks. Pure: the test feeds it the repository's files or planted text.
 */

/** The fenced code blocks of a Markdown text, with their info string (`sh`, `sql`, or ''). */
export function codeBlocks(markdown: string): Array<{ lang: string; body: string }> {
  const blocks: Array<{ lang: string; body: string }> = [];
  let open: { lang: string; lines: string[] } | null = null;
  for (const line of markdown.split('\n')) {
    const fence = /^\s*```\s*([\w-]*)/.exec(line);
    if (fence && !open) open = { lang: fence[1] ?? '', lines: [] };
    else if (fence && open) {
      blocks.push({ lang: open.lang, body: open.lines.join('\n') });
      open = null;
    } else open?.lines.push(line);
  }
  return blocks;
}

/** The text outside fenced code blocks and inline code spans (where links are links). */
export function prose(markdown: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inBlock = !inBlock;
    else if (!inBlock) out.push(line.replace(/`[^`]*`/g, '``'));
  }
  return out.join('\n');
}

/** Link and image targets of a Markdown text (not inside code). */
export function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
}

/**
 * GitHub's anchor for a heading: lower case, every character but letters, marks, digits, `_`, `-` and spaces
 * dropped, spaces made hyphens (github-slugger's rule).
 *
 * @example
 * headingSlug('Replay (`dougpt replay`)') // 'replay-dougpt-replay'
 */
export function headingSlug(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file's headings make, a repeated one suffixed `-1`, `-2` … as GitHub does. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  let inBlock = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inBlock = !inBlock;
    const heading = inBlock ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1] as string);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/**
 * The `dougpt` invocations of a shell block, as argument lists after `dougpt` (`npx dougpt …`, `./bin/dougpt.js …`,
 * also after `&&`, `;`, `|` and inside `$(…)`). Comments, quotes and `\` continuations are read as a shell would.
 *
 * @example
 * dougptCommands('eval "$(npx dougpt env)"  # exports') // [['env']]
 */
export function dougptCommands(shell: string): string[][] {
  const commands: string[][] = [];
  for (const line of shell.replace(/\\\n/g, ' ').split('\n')) {
    for (const words of simpleCommands(line)) {
      let i = 0;
      while (i < words.length && ['npx', 'time', 'eval', 'exec'].includes(words[i] as string)) i++;
      if (words[i] === 'dougpt' || words[i] === './bin/dougpt.js' || words[i] === 'bin/dougpt.js') commands.push(words.slice(i + 1));
    }
  }
  return commands;
}

/** Splits one shell line into simple commands (at `&&`, `||`, `;`, `|`, `$(`, `)`), each a list of words. */
function simpleCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let hasWord = false;
  let quote: '"' | "'" | null = null;
  const endWord = () => {
    if (hasWord) words.push(word);
    word = '';
    hasWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  // Inside "…", a $(…) substitution is a command of its own; the quote resumes after its ")".
  const resumeQuote: boolean[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (c === '$' && line[i + 1] === '(') {
      endCommand();
      resumeQuote.push(quote === '"');
      quote = null;
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      hasWord = true;
    } else if (c === '#' && !hasWord) break;
    else if (/\s/.test(c)) endWord();
    else if (c === ')' && resumeQuote.length > 0) {
      endCommand();
      if (resumeQuote.pop()) quote = '"';
    } else if (c === ';' || c === '|' || c === '&' || c === ')') endCommand();
    else {
      word += c;
      hasWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Subcommand names and option flags (`--vod`, `-h`) of one command's `--help` text (Commander's layout). */
export function parseHelp(help: string): { commands: string[]; options: string[] } {
  const commands: string[] = [];
  const options: string[] = [];
  let section = '';
  for (const line of help.split('\n')) {
    const header = /^(\w[\w ]*):\s*$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    if (section === 'Commands') {
      const name = /^ {2}([\w-]+)/.exec(line);
      if (name) commands.push(name[1] as string);
    } else if (section === 'Options') {
      const flags = /^ {2}(-[^ ].*?)(?: {2,}|$)/.exec(line);
      if (flags) for (const flag of (flags[1] as string).matchAll(/(?:^|[ ,])(--?[\w-]+)/g)) options.push(flag[1] as string);
    }
  }
  return { commands, options };
}
