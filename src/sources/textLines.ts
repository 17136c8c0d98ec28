/** A program's output or a config file as lines, CRLF or LF, so every host parser splits text the same way. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}
