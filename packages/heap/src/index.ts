export { collectGarbage } from './gc.js';
