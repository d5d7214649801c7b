import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyDuckdbError } from '../../../catalog/catalog-error.ts';
import { ConfigError, loadConfig } from '../../../infra/config.ts';

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

  it('makes a separate read-only user for the lake, kept beside the root credentials', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    const config = loadConfig({ DOUGPT_HOME: home });
    expect(config.readerCredentials.accessKeyId).toMatch(/^dougpt-reader-/);
    expect(config.readerCredentials.accessKeyId).not.toBe(config.credentials.accessKeyId);
    expect(config.readerCredentials.secretAccessKey).not.toBe(config.credentials.secretAccessKey);
    expect(statSync(join(home, 'reader-credentials.json')).mode & 0o077).toBe(0);
    expect(loadConfig({ DOUGPT_HOME: home }).readerCredentials).toEqual(config.readerCredentials);
  });

  it('points at another host\'s services through environment variables, which `up` then does not start', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    const local = loadConfig({ DOUGPT_HOME: home });
    expect(local.managed).toEqual({ minio: true, catalog: true, temporal: true });
    const remote = loadConfig({
      DOUGPT_HOME: home,
      DOUGPT_S3_ENDPOINT: 'http://lake.lan:9000/',
      DOUGPT_CATALOG_URI: 'http://lake.lan:8181',
      DOUGPT_TEMPORAL_ADDRESS: 'temporal.lan:7233',
      DOUGPT_TEMPORAL_NAMESPACE: 'dougpt-prod',
      DOUGPT_BUCKET: 'stream-lake',
      DOUGPT_S3_REGION: 'eu-west-1',
      DOUGPT_S3_ACCESS_KEY_ID: 'writer',
      DOUGPT_S3_SECRET_ACCESS_KEY: 'writer-secret',
      DOUGPT_S3_READER_ACCESS_KEY_ID: 'reader',
      DOUGPT_S3_READER_SECRET_ACCESS_KEY: 'reader-secret',
    });
    expect(remote.s3Endpoint).toBe('http://lake.lan:9000');
    expect(remote.catalogUri).toBe('http://lake.lan:8181');
    expect(remote.temporalAddress).toBe('temporal.lan:7233');
    expect(remote.temporalNamespace).toBe('dougpt-prod');
    expect(remote.warehouse).toBe('s3://stream-lake/warehouse');
    expect(remote.region).toBe('eu-west-1');
    expect(remote.credentials).toEqual({ accessKeyId: 'writer', secretAccessKey: 'writer-secret' });
    expect(remote.readerCredentials).toEqual({ accessKeyId: 'reader', secretAccessKey: 'reader-secret' });
    expect(remote.managed).toEqual({ minio: false, catalog: false, temporal: false });
    const host = loadConfig({ DOUGPT_HOME: home, DOUGPT_HOST: '10.1.2.3', DOUGPT_MINIO_PORT: '9100' });
    expect(host.s3Endpoint).toBe('http://10.1.2.3:9100');
    expect(host.managed.minio).toBe(true);
  });

  it.each([
    ['DOUGPT_MINIO_PORT', '70000', /port from 1 to 65535/],
    ['DOUGPT_CATALOG_PORT', 'abc', /port number/],
    ['DOUGPT_S3_ENDPOINT', 'lake.lan:9000', /http:\/\/ or https:\/\/ URL/],
    ['DOUGPT_CATALOG_URI', 'ftp://lake.lan', /http:\/\/ or https:\/\/ URL/],
    ['DOUGPT_TEMPORAL_ADDRESS', 'temporal.lan', /host:port/],
    ['DOUGPT_TEMPORAL_NAMESPACE', 'bad namespace', /namespace/],
    ['DOUGPT_BUCKET', 'Upper_Case', /bucket name/],
    ['DOUGPT_S3_REGION', 'US East', /region/],
    ['DOUGPT_HOST', 'http://x', /host name or IP/],
  ])('%s=%s is refused with one line naming the variable', (name, value, reason) => {
    const error = (() => {
      try {
        loadConfig({ DOUGPT_HOME: mkdtempSync(join(tmpdir(), 'dougpt-cfg-')), [name]: value });
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect((error as ConfigError).variable).toBe(name);
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(`${name}: `)).toBe(true);
    expect(message).toMatch(reason);
    expect(message).toContain(JSON.stringify(value));
  });

  it('wants both halves of a key pair, and names the missing one', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    expect(() => loadConfig({ DOUGPT_HOME: home, DOUGPT_S3_ACCESS_KEY_ID: 'writer' })).toThrow(/^DOUGPT_S3_SECRET_ACCESS_KEY: must be set together with DOUGPT_S3_ACCESS_KEY_ID$/);
    expect(() => loadConfig({ DOUGPT_HOME: home, DOUGPT_S3_READER_SECRET_ACCESS_KEY: 'reader-secret' })).toThrow(/^DOUGPT_S3_READER_ACCESS_KEY_ID: must be set/);
    expect(() => loadConfig({ DOUGPT_HOME: home, DOUGPT_S3_ACCESS_KEY_ID: 'writer', DOUGPT_S3_SECRET_ACCESS_KEY: 'short' })).toThrow(/^DOUGPT_S3_SECRET_ACCESS_KEY: expected at least 8 characters/);
  });

  it('names the file and field of a bad config.json', () => {
    const home = mkdtempSync(join(tmpdir(), 'dougpt-cfg-'));
    writeFileSync(join(home, 'config.json'), JSON.stringify({ ports: { minio: 0 } }));
    expect(() => loadConfig({ DOUGPT_HOME: home })).toThrow(/config\.json ports\.minio: expected a port from 1 to 65535/);
    writeFileSync(join(home, 'config.json'), '{ports');
    expect(() => loadConfig({ DOUGPT_HOME: home })).toThrow(/config\.json: not valid JSON/);
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
