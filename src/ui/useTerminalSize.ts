import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

/** Columns and rows, following resizes; 80x24 when the terminal does not say. */
export function useTerminalSize(): {columns: number; rows: number} {
  const {stdout} = useStdout();
  const read = () => ({columns: stdout.columns || 80, rows: stdout.rows || 24});
  const [size, setSize] = useState(read);
  // biome-ignore lint/correctness/useExhaustiveDependencies: read() only reads stdout, which is the dependency.
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
