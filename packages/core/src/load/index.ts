export { CONFIG_EXTENSIONS, loadConfigFile } from './load-config.js';
