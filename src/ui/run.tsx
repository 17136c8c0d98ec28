import {render} from 'ink';
import type {Wizard} from '../wizard/controller.js';
import {mark} from '../timing.js';
import {App} from './App.js';
import {farewell} from './farewell.js';

/** Bracketed paste: the terminal marks pasted text, so a paste is never read as keys or Enter. */
const PASTE_ON = '\u001B[?2004h';
const PASTE_OFF = '\u001B[?2004l';

/** Mounts the wizard, starts the checks behind the first frame, and resolves when the person quits. */
export async function runTui(wizard: Wizard): Promise<void> {
  // Another reader may have paused stdin; Ink would then never see a key.
  if (process.stdin.isTTY) process.stdin.resume();
  const marksPastes = process.stdout.isTTY === true;
  // Turned off however the process ends, so the shell afterwards does not see the markers.
  const pasteOff = () => {
    if (marksPastes) process.stdout.write(PASTE_OFF);
  };
  if (marksPastes) {
    process.stdout.write(PASTE_ON);
    process.once('exit', pasteOff);
  }
  const app = render(<App wizard={wizard} />, {exitOnCtrlC: false, patchConsole: false});
  mark('first frame');
  // Set when the terminal went away: there is nobody to say goodbye to.
  let gone = false;
  const leave = () => {
    gone = true;
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
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGHUP', leave);
    process.off('SIGTERM', leave);
    pasteOff();
    process.off('exit', pasteOff);
  }
  // Below the last frame, where it stays readable once the wizard is gone.
  if (!gone) process.stdout.write(farewell(wizard.getSnapshot()));
}
