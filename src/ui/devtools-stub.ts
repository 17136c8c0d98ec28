// Ink imports react-devtools-core in development builds only; the bundle never needs it.
export default {initialize() {}, connectToDevTools() {}};
