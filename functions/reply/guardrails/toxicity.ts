import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';

/**
 * Flags profanity and slurs with `obscenity`'s English dataset, which also sees through the usual
 * disguises (l33t speak, repeated and spaced-out letters).
 *
 * @example
 * createToxicityFilter().find('you are a b1tch') // 'bitch'
 */
export interface ToxicityFilter {
  /** The dataset word behind the first match, or null when the text is clean. */
  find(text: string): string | null;
}

export function createToxicityFilter(): ToxicityFilter {
  const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  return {
    find(text) {
      const [match] = matcher.getAllMatches(text, true);
      if (!match) return null;
      return englishDataset.getPayloadWithPhraseMetadata(match).phraseMetadata?.originalWord ?? 'profanity';
    },
  };
}
