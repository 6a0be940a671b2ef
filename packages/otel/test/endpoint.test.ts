import { endpointOf } from '@gemini-lanes/otel';
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';

describe('provider and server detection', () => {
  it('a Gemini API client is gcp.gemini on generativelanguage.googleapis.com:443', () => {
    expect(endpointOf(new GoogleGenAI({ apiKey: 'k' }))).toEqual({
      provider: 'gcp.gemini',
      address: 'generativelanguage.googleapis.com',
      port: 443,
    });
  });

  it('a Vertex AI client is gcp.vertex_ai on its regional, global or express endpoint', () => {
    expect(
      endpointOf(new GoogleGenAI({ vertexai: true, project: 'p', location: 'us-central1' })),
    ).toEqual({
      provider: 'gcp.vertex_ai',
      address: 'us-central1-aiplatform.googleapis.com',
      port: 443,
    });
    expect(
      endpointOf(new GoogleGenAI({ vertexai: true, project: 'p', location: 'global' })),
    ).toEqual({
      provider: 'gcp.vertex_ai',
      address: 'aiplatform.googleapis.com',
      port: 443,
    });
    expect(endpointOf(new GoogleGenAI({ vertexai: true, apiKey: 'k' }))).toEqual({
      provider: 'gcp.vertex_ai',
      address: 'aiplatform.googleapis.com',
      port: 443,
    });
  });

  it('a custom base URL gives its host and port (the scheme default when none)', () => {
    expect(
      endpointOf(
        new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: 'http://127.0.0.1:8089' } }),
      ),
    ).toEqual({ provider: 'gcp.gemini', address: '127.0.0.1', port: 8089 });
    expect(
      endpointOf(new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: 'http://[::1]/' } })),
    ).toEqual({ provider: 'gcp.gemini', address: '::1', port: 80 });
    expect(
      endpointOf(
        new GoogleGenAI({
          vertexai: true,
          apiKey: 'k',
          httpOptions: { baseUrl: 'https://proxy.internal' },
        }),
      ),
    ).toEqual({ provider: 'gcp.vertex_ai', address: 'proxy.internal', port: 443 });
  });
});
