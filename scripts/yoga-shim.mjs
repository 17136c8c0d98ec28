// Stands in for yoga-layout in the bundle (see src/ui/load.ts): the same object Ink imports,
// filled in by ready() instead of by a top-level await.
import {loadYoga} from 'yoga-layout/load';

const Yoga = {};
let loading;
export function ready() {
  loading ??= loadYoga().then((y) => {
    Object.assign(Yoga, y);
  });
  return loading;
}
export default Yoga;
export * from 'yoga-layout/load';
