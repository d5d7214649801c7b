import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyDuckdbError } from '../../../catalog/catalog-error.ts';
import { loadConfig } from '../../../infra/config.ts';

describe('loadConfig', () => {
  it('generates credentials once per state directory and keeps them private', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    const first = loadConfig({ DOUGPT_HOME: home });
    const second = loadConfig({ DOUGPT_HOME: home });
    expect(second.credentials).toEqual(first.credentials);
    expect(first.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(24);
    expect(statSync(join(home, 'credentials.json')).mode & 0o077).toBe(0);
    const other = loadConfig({ DOUGPT_HOME: mkdtempSync(join(tmpdir(), 'dougpt-cfg-')) });
    expect(other.credentials.secretAccessKey).not.toBe(first.credentials.secretAccessKey);
    expect(JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'))).toEqual(first.credentials);
  });

  it('takes ports from config.json, environment variables winning', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ ports: { minio: 9100, catalog: 8200 } }));
    const config = loadConfig({ DOUGPT_HOME: home, DOUGPT_CATALOG_PORT: '8300' });
    expect(config.s3Endpoint).toBe('http://127.0.0.1:9100');
    expect(config.catalogUri).toBe('http://127.0.0.1:8300');
    expect(config.temporalAddress).toBe('127.0.0.1:7233');
    expect(() => loadConfig({ DOUGPT_HOME: home, DOUGPT_MINIO_PORT: 'x' })).toThrow();
  });
});

describe('classifyDuckdbError', () => {
  it.each([
    ['Invalid Input Error: Cannot execute statement of type "INSERT" on database "lake" which is attached in read-only mode!', 'read-only'],
    ['TransactionContext Error: Failed to commit: Request failed with status 409: CommitFailedException', 'conflict'],
    ['IO Error: Could not establish connection error for HTTP GET to http://127.0.0.1:8181/v1/config', 'unreachable'],
    ['Parser Error: syntax error at or near "selec"', 'bad-query'],
    ['Out of Memory Error: failed', 'failed'],
  ])('%s → %s', (message, kind) => {
    expect(classifyDuckdbError(new Error(message)).kind).toBe(kind);
  });
});
