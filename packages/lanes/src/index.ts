export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
