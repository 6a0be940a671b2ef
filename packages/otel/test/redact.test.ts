import { describe, expect, it } from 'vitest';
import { redact } from '../src/redact.js';

describe('redact', () => {
  it('removes key= query parameters, x-goog-api-key values and the given secrets', () => {
    expect(redact('https://h/v1beta/models/m:generateContent?alt=sse&key=AIzaSECRET&x=1')).toBe(
      'https://h/v1beta/models/m:generateContent?alt=sse&key=REDACTED&x=1',
    );
    expect(redact('GET /x?key=AIzaSECRET')).toBe('GET /x?key=REDACTED');
    expect(redact('{"x-goog-api-key":"AIzaSECRET"}')).toBe('{"x-goog-api-key":"REDACTED"}');
    expect(redact('x-goog-api-key: AIzaSECRET')).toBe('x-goog-api-key: REDACTED');
    expect(redact('bad key AIzaSECRET in text', ['AIzaSECRET'])).toBe('bad key REDACTED in text');
    expect(redact('monkey=1&donkey=2')).toBe('monkey=1&donkey=2');
  });
});
