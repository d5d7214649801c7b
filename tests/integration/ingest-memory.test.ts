import { once } from 'node:events';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/paths.ts';
import { env, sqlRows } from './stack.ts';

const HOURS = 6;
const SECONDS = HOURS * 3600;
/** A busy chat: ten messages a second for six hours. */
const MESSAGES = SECONDS * 10;
const RSS_CAP_KIB = 1.5 * 1024 * 1024;

/** A TwitchDownloader chat file, written a line at a time (the test itself holds no big string either). */
async function writeChat(path: string, videoId: string): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`{"FileInfo":{"Version":{"Major":1,"Minor":4,"Patch":0}},"streamer":{"name":"DougDoug","id":31507411},"video":{"id":"${videoId}","start":0,"end":${SECONDS}},"comments":[\n`);
  const start = Date.parse('2024-05-01T18:00:00Z');
  for (let i = 0; i < MESSAGES; i++) {
    const offset = (i * SECONDS) / MESSAGES;
    const user = i % 5_000;
    const body = `message ${i} from viewer ${user} LUL`;
    await write(
      `${i ? ',' : ''}{"_id":"c${i}","created_at":"${new Date(start + offset * 1000).toISOString()}","content_offset_seconds":${offset.toFixed(3)},` +
        `"commenter":{"_id":"${user}","name":"viewer${user}","display_name":"Viewer${user}"},` +
        `"message":{"body":"${body}","fragments":[{"text":"${body}","emoticon":null}]}}\n`,
    );
  }
  await write(']}\n');
  out.end();
  await once(out, 'finish');
}

describe('memory', () => {
  it(`ingests a ${HOURS}-hour VOD with ${MESSAGES} chat messages in under 1.5 GiB peak RSS`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dougpt-long-'));
    const video = join(dir, 'stream.mp4');
    const chat = join(dir, 'stream.chat.json');
    // Silent audio and a 1 fps 32×32 picture: six hours that encode in well under a minute.
    await execa('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'color=c=black:s=32x32:r=1', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono',
      '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '600', '-c:a', 'aac', '-b:a', '16k',
      '-movflags', '+faststart', video,
    ]);
    await writeChat(chat, `${Date.now()}`);

    const child = await execa('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', join(REPO_ROOT, 'tests', 'integration', 'ingest-long-vod.ts'), video, chat], {
      env,
      cwd: REPO_ROOT,
      reject: false,
    });
    expect(child.exitCode, String(child.stderr).slice(-2000)).toBe(0);
    const peakKib = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(String(child.stderr))?.[1]);
    const result = JSON.parse(String(child.stdout).trim().split('\n').pop()!) as { vod_id: string; duration_ms: number; rows_written: Record<string, number>; seconds: number };
    process.stderr.write(`[memory] ${HOURS} h VOD, ${MESSAGES} messages: peak RSS ${(peakKib / 1024).toFixed(0)} MiB, ${result.seconds} s\n`);
    expect(result.duration_ms).toBe(SECONDS * 1000);
    expect(result.rows_written.chat_messages).toBe(MESSAGES);
    const [row] = await sqlRows(`select count(*) n from silver.chat_messages where vod_id = '${result.vod_id}'`);
    expect(Number(row?.n)).toBe(MESSAGES);
    expect(peakKib).toBeGreaterThan(0);
    expect(peakKib).toBeLessThan(RSS_CAP_KIB);
  });
});
