import { describe, expect, it } from 'vitest';
import { loadedTables, parseLakeRequests, uploadedManifestLists } from '../../../catalog/lake-requests.ts';
import { commitOutcome, manifestListsOf, type CatalogSnapshot, type CatalogTable } from '../../../catalog/verify-commit.ts';

const CATALOG = 'http://127.0.0.1:8181';
const LOCATION = 's3://dougpt-lake/warehouse/meta/t';
const snapshot = (sequence: number, name: string): CatalogSnapshot => ({
  sequence_number: sequence,
  manifest_list: `${LOCATION}/metadata/snap-${name}.avro`,
  timestamp_ms: 1_700_000_000_000 + sequence,
  operation: 'append',
});
const table = (...lineage: CatalogSnapshot[]): CatalogTable => ({ location: LOCATION, lineage });
const path = (name: string) => `/dougpt-lake/warehouse/meta/t/metadata/snap-${name}.avro`;

describe('reading DuckDB HTTP log messages', () => {
  const messages = [
    `{'request': {'type': HEAD, 'url': '${CATALOG}/v1/namespaces/meta/tables/t', 'headers': {}}, 'response': {'status': OK_200}}`,
    `{'request': {'type': GET, 'url': '${CATALOG}/v1/namespaces/meta/tables/t', 'headers': {X-Iceberg-Access-Delegation=vended-credentials}}}`,
    `{'request': {'type': GET, 'url': '${CATALOG}/v1/namespaces/a%1Fb/tables/x%20y', 'headers': {}}}`,
    `{'request': {'type': GET, 'url': 'http://elsewhere:8181/v1/namespaces/meta/tables/other', 'headers': {}}}`,
    `{'request': {'type': PUT, 'url': 'http://127.0.0.1:9000/dougpt-lake/warehouse/meta/t/data/01a2.parquet', 'headers': {}}}`,
    `{'request': {'type': PUT, 'url': 'http://127.0.0.1:9000/dougpt-lake/warehouse/meta/t/metadata/7b03-m0.avro', 'headers': {}}}`,
    `{'request': {'type': PUT, 'url': 'http://127.0.0.1:9000${path('831-08d9')}', 'headers': {}}}`,
    `{'request': {'type': PUT, 'url': 'http://127.0.0.1:9000${path('831-08d9')}', 'headers': {}}}`,
    `not a request`,
  ];
  const requests = parseLakeRequests(messages);

  it('finds the tables loaded from this catalog, multi-level namespaces included', () => {
    expect(requests).toHaveLength(8);
    expect(loadedTables(requests, CATALOG)).toEqual(['meta.t', 'a.b.x y']);
  });

  it('finds each uploaded manifest list once, and only manifest lists', () => {
    expect(uploadedManifestLists(requests)).toEqual([path('831-08d9')]);
    expect(manifestListsOf(LOCATION, [path('1'), '/dougpt-lake/warehouse/meta/t2/metadata/snap-2.avro'])).toEqual([path('1')]);
  });
});

describe('commitOutcome', () => {
  const base = snapshot(4, 'base');

  it('landed: the uploaded snapshot sits right on the one recorded before, even with a later commit on top', () => {
    expect(commitOutcome(base, [path('ours')], table(snapshot(5, 'ours'), base))).toEqual({ kind: 'landed' });
    expect(commitOutcome(base, [path('ours')], table(snapshot(6, 'later'), snapshot(5, 'ours'), base))).toEqual({ kind: 'landed' });
    expect(commitOutcome(null, [path('first')], table(snapshot(1, 'first')))).toEqual({ kind: 'landed' });
  });

  it('landed: a snapshot between the recorded one and the commit loses nothing (the read before was of an older state)', () => {
    expect(commitOutcome(base, [path('ours')], table(snapshot(6, 'ours'), snapshot(5, 'between'), base))).toEqual({ kind: 'landed' });
  });

  it('lost: the catalog accepted the commit, but another writer\'s snapshot followed the recorded one', () => {
    expect(commitOutcome(base, [path('ours')], table(snapshot(5, 'theirs'), base))).toEqual({ kind: 'lost', missing: [path('ours')] });
  });

  it('replaced: the commit landed on an older parent, so the recorded snapshot left the branch', () => {
    const older = snapshot(3, 'older');
    expect(commitOutcome(base, [path('ours')], table(snapshot(5, 'ours'), older))).toEqual({ kind: 'replaced', parent: older });
    expect(commitOutcome(base, [path('ours')], table(snapshot(5, 'ours')))).toEqual({ kind: 'replaced', parent: null });
  });

  it('several snapshots of one transaction must all be there, the oldest on the recorded one', () => {
    expect(commitOutcome(base, [path('a'), path('b')], table(snapshot(6, 'b'), snapshot(5, 'a'), base))).toEqual({ kind: 'landed' });
    expect(commitOutcome(base, [path('a'), path('b')], table(snapshot(5, 'a'), base)).kind).toBe('lost');
  });
});
