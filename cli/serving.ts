import { execa } from 'execa';

/** Opens a page or file in the desktop's browser when there is one; a headless machine just has the path. */
export async function openBrowser(url: string, command: string): Promise<void> {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = execa(opener, [url], { detached: true, stdio: 'ignore' });
    child.unref();
    await child;
  } catch {
    process.stderr.write(`${command}: could not start a browser (${opener}); open ${url} yourself\n`);
  }
}

/** Resolves at the first SIGINT or SIGTERM: a serving command runs until then. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
