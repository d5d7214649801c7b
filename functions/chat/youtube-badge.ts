/**
 * A YouTube author badge (its tooltip/title, and the icon type when there is one) in the Twitch badge
 * vocabulary the other formats use: `moderator`, `broadcaster` (channel owner), `verified`, and
 * `member/<months>` for channel members ("New member" → `member/0`, "Member (1 year)" → `member/12`).
 * Anything else is kept as its lower-case, hyphenated title.
 *
 * @example
 * youtubeBadge('Member (6 months)')  // 'member/6'
 * youtubeBadge('Moderator', 'MODERATOR')  // 'moderator'
 */
export function youtubeBadge(title: string | null, iconType: string | null = null): string | null {
  const icon = iconType?.toUpperCase() ?? null;
  if (icon === 'MODERATOR') return 'moderator';
  if (icon === 'OWNER') return 'broadcaster';
  if (icon === 'VERIFIED' || icon === 'CHECK_CIRCLE_THICK') return 'verified';
  const t = title?.trim().toLowerCase() ?? '';
  if (t.length === 0) return icon ? icon.toLowerCase() : null;
  if (t === 'moderator') return 'moderator';
  if (t === 'owner') return 'broadcaster';
  if (t === 'verified') return 'verified';
  if (t === 'new member') return 'member/0';
  const member = /^member \((\d+) (month|year)s?\)$/.exec(t);
  if (member) return `member/${Number(member[1]) * (member[2] === 'year' ? 12 : 1)}`;
  return t.replace(/\s+/g, '-');
}
