// Ink turns itself into a static printer when CI is set. Shipshape chooses its own mode (the
// wizard only runs on a real terminal; CI uses `check`), so the bundle never asks.
const isInCi = false;
export default isInCi;
