/**
 * Viewer-name scrubbing for prompts and replies. Chat addresses people by `@login` and streamers read
 * names aloud ("thanks kleeble for the sub"): neither may reach a dataset. The streamer's own names stay.
 */
export interface NameScrubber {
  /** Text with every `@mention` and every bare login of a known viewer replaced by the placeholder. */
  scrub(text: string): string;
}

/**
 * A bare word is treated as a viewer's name only when the login is distinctive enough that replacing it
 * will not eat ordinary words: it has a digit or an underscore, or at least six letters, and is no emote.
 */
export function isDistinctiveLogin(login: string, emoteNames: ReadonlySet<string>): boolean {
  if (emoteNames.has(login)) return false;
  return /[0-9_]/.test(login) ? login.length >= 3 : login.length >= 6;
}

export interface NameScrubberOptions {
  placeholder: string;
  streamerNames: readonly string[];
  emoteNames?: ReadonlySet<string>;
}

/** What scrubbing decides with, lower case: the streamer's names (kept) and the logins replaced as bare words. */
export interface NameRules {
  streamer: Set<string>;
  bare: Set<string>;
  placeholder: string;
}

/**
 * The rules a scrubber applies; the dataset export runs the same rules in DuckDB (scrub-names-sql.ts).
 *
 * @example
 * nameRules(['Kleeble', 'bob'], { placeholder: '@viewer', streamerNames: ['dougdoug'] }).bare; // Set { 'kleeble' }
 */
export function nameRules(logins: Iterable<string>, options: NameScrubberOptions): NameRules {
  const streamer = new Set(options.streamerNames.map((n) => n.toLowerCase()));
  const emotes = new Set([...(options.emoteNames ?? new Set<string>())].map((n) => n.toLowerCase()));
  const bare = new Set<string>();
  for (const raw of logins) {
    const login = raw.toLowerCase();
    if (!streamer.has(login) && isDistinctiveLogin(login, emotes)) bare.add(login);
  }
  return { streamer, bare, placeholder: options.placeholder };
}

/**
 * @example
 * const s = createNameScrubber(['kleeble', 'quack_001'], { placeholder: '@viewer', streamerNames: ['dougdoug'] });
 * s.scrub('@Kleeble lol quack_001 said hi to @DougDoug'); // '@viewer lol @viewer said hi to @DougDoug'
 */
export function createNameScrubber(logins: Iterable<string>, options: NameScrubberOptions): NameScrubber {
  const { streamer, bare, placeholder } = nameRules(logins, options);
  // One pass over word-like runs: `@name` is always a mention; a bare run is a name when it is a known login.
  // Twitch logins are ASCII ([a-z0-9_]), so ASCII runs find every one of them, and much faster than
  // Unicode classes; a mention of a non-ASCII display name is caught by the Unicode pass for `@` runs.
  const pattern = /(@?)([A-Za-z0-9_]+)/g;
  const unicodeMention = /@[\p{L}\p{N}_]+/gu;
  return {
    scrub(text: string): string {
      const ascii = text.replace(pattern, (whole, at: string, word: string) => {
        const lower = word.toLowerCase();
        if (streamer.has(lower)) return whole;
        if (at === '@') return placeholder;
        return bare.has(lower) ? placeholder : whole;
      });
      // eslint-disable-next-line no-control-regex
      if (!ascii.includes('@') || /^[\x00-\x7f]*$/.test(ascii)) return ascii;
      return ascii.replace(unicodeMention, (whole) => (whole === placeholder || streamer.has(whole.slice(1).toLowerCase()) ? whole : placeholder));
    },
  };
}
