// Imported first by tests that render Ink: Ink reads CI at import and would print only the
// last frame. CI sets CI=true; tests want the live renderer.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
export {};
