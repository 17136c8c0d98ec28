/** A mistake in how Shipshape was called (a flag, a pack name, a directory): exit 2 with this message. */
export class UsageError extends Error {
  override name = 'UsageError';
}
