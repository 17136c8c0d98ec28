import {render} from 'ink';
import type {Wizard} from '../wizard/controller.js';
import {mark} from '../timing.js';
import {App} from './App.js';

/** Mounts the wizard, starts the checks behind the first frame, and resolves when the person quits. */
export async function runTui(wizard: Wizard): Promise<void> {
  // Another reader may have paused stdin; Ink would then never see a key.
  if (process.stdin.isTTY) process.stdin.resume();
  const app = render(<App wizard={wizard} />, {exitOnCtrlC: false, patchConsole: false});
  mark('first frame');
  const leave = () => {
    wizard.close();
    app.unmount();
  };
  // Closing the terminal: every answer is already on disk, so leaving is all there is to do.
  process.once('SIGHUP', leave);
  process.once('SIGTERM', leave);
  wizard.run().catch((err: unknown) => {
    app.unmount();
    process.stderr.write(`shipshape: the checks could not run: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  await app.waitUntilExit();
  process.off('SIGHUP', leave);
  process.off('SIGTERM', leave);
}
