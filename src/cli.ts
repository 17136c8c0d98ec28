import {main} from './main.js';

// A reader that goes away early (`shipshape check | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/**
 * Ends the process once what was written to stdout and stderr has been handed to the OS. A
 * command's work is done when main() settles: whatever a check left behind (a socket that never
 * closes, a read of a pipe nobody writes to, a timer) must not keep the process alive, so every
 * command, not only `check`, exits here rather than waiting for the event loop to drain.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    // The callback runs once everything written before it is flushed (or the stream failed).
    if (stream.destroyed || !stream.writable) done();
    else stream.write('', done);
  }
}

main(process.argv.slice(2)).then(exitWhenFlushed, (e: unknown) => {
  process.stderr.write(`shipshape: internal error: ${(e as Error).message}\n`);
  exitWhenFlushed(2);
});
