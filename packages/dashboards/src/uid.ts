import { createHash } from 'node:crypto';

/** Grafana refuses dashboard uids longer than this. */
export const MAX_UID_LENGTH = 40;

/**
 * A stable, valid Grafana uid for a dashboard: the same name always gives the same uid, so a
 * re-import replaces the dashboard instead of adding a copy, and links between dashboards
 * survive regeneration. Characters Grafana does not allow become `-`; a name too long for 40
 * characters is cut and suffixed with a hash of the whole name, so two long names never collide.
 */
export function dashboardUid(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length === 0) {
    throw new RangeError(
      `dashboardUid: name must contain a letter or digit (got ${JSON.stringify(name)})`,
    );
  }
  if (slug.length <= MAX_UID_LENGTH) return slug;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${slug.slice(0, MAX_UID_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
