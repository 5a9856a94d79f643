// The in-process fetch lives in src (the demo uses it too); tests use the same one.
export { injectFetch } from '../../src/demo/inject-fetch.js';
