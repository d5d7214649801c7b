import { DataSet, englishDataset, englishRecommendedTransformers, pattern, RegExpMatcher } from 'obscenity';

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

/**
 * obscenity's English words plus the self-harm taunts chat throws around, which its dataset (words,
 * not phrases) does not have.
 */
const dataset = new DataSet<{ originalWord: string }>()
  .addAll(englishDataset)
  .addPhrase((p) => p.setMetadata({ originalWord: 'kill yourself' }).addPattern(pattern`kill yourself`).addPattern(pattern`|kys|`));

export function createToxicityFilter(): ToxicityFilter {
  const matcher = new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers });
  return {
    find(text) {
      const [match] = matcher.getAllMatches(text, true);
      if (!match) return null;
      return dataset.getPayloadWithPhraseMetadata(match).phraseMetadata?.originalWord ?? 'profanity';
    },
  };
}
