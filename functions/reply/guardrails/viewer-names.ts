import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Keeps viewers' names out of replies. Every `@mention` that is not the streamer or the spec's
 * placeholder becomes the placeholder, and so does a bare word that is a known viewer login. The
 * placeholder itself is never replaced by a name: the model's "@viewer" stays "@viewer".
 *
 * @example
 * const scrub = createViewerNameScrubber({ placeholder: '@viewer', streamerNames: ['dougdoug'], names: viewerNames(['coolguy42']) });
 * scrub('@coolguy42 coolguy42 @dougdoug @viewer') // { text: '@viewer @viewer @dougdoug @viewer', count: 2 }
 */
export interface ViewerNames {
  /** `login` is lower case. */
  has(login: string): boolean;
  readonly size: number;
}

/** A plain list of logins. */
export function viewerNames(logins: readonly string[]): ViewerNames {
  const set = new Set(logins.map((l) => l.trim().replace(/^@/, '').toLowerCase()).filter((l) => l.length > 0));
  return { has: (login) => set.has(login), size: set.size };
}

/** A dataset's `viewers.json`: salted sha256 of each lower-case login, so no login is stored. */
export const HashedViewers = z.object({ salt: z.string(), sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/)) });
export type HashedViewers = z.infer<typeof HashedViewers>;

export function hashedViewerNames({ salt, sha256 }: HashedViewers): ViewerNames {
  const set = new Set(sha256);
  return { has: (login) => set.has(createHash('sha256').update(salt + login).digest('hex')), size: set.size };
}

/** A dataset's `viewers.json`, or a text file with one login a line (`#` comments allowed). */
export function loadViewerNames(path: string): ViewerNames {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  if (text.trimStart().startsWith('{')) return hashedViewerNames(HashedViewers.parse(JSON.parse(text)));
  return viewerNames(text.split(/\r?\n/).filter((l) => !l.trim().startsWith('#')));
}

export interface ViewerNameScrubberOptions {
  /** The prompt spec's `viewer_placeholder`, e.g. `@viewer`. */
  placeholder: string;
  /** Lower case; never scrubbed. */
  streamerNames: readonly string[];
  names?: ViewerNames;
}

// Twitch logins: 4–25 letters, digits or underscores. Mentions are scrubbed from 2 characters on,
// since a mangled short "@xy" is a name all the same.
const MENTION = /@([\p{L}\p{N}_]{2,25})(?![\p{L}\p{N}_])/gu;
const WORD = /(?<![@\p{L}\p{N}_])[A-Za-z0-9_]{4,25}(?![\p{L}\p{N}_])/gu;

export function createViewerNameScrubber(options: ViewerNameScrubberOptions): (text: string) => { text: string; count: number } {
  const placeholder = options.placeholder;
  const placeholderLogin = placeholder.replace(/^@/, '').toLowerCase();
  const streamer = new Set(options.streamerNames.map((n) => n.toLowerCase()));
  const keep = (login: string) => login === placeholderLogin || streamer.has(login);
  return (text) => {
    let count = 0;
    let out = text.replace(MENTION, (whole, login: string) => {
      if (keep(login.toLowerCase())) return whole;
      count++;
      return placeholder;
    });
    const names = options.names;
    if (names && names.size > 0) {
      out = out.replace(WORD, (word) => {
        const login = word.toLowerCase();
        if (keep(login) || !names.has(login)) return word;
        count++;
        return placeholder;
      });
    }
    return { text: out, count };
  };
}
