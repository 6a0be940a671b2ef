export { LogNormal, Random } from './random.js';
