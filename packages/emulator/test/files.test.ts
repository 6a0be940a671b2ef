import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiError, client, emulator } from './helpers.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Files API through the real client', () => {
  it('uploads (resumable), gets, lists, downloads and deletes', async () => {
    const handle = await emulator();
    const ai = client(handle);
    const uploaded = await ai.files.upload({
      file: new Blob(['hello, files'], { type: 'text/plain' }),
      config: { displayName: 'greeting' },
    });
    expect(uploaded.name).toMatch(/^files\/[a-z0-9]{12}$/);
    expect(uploaded).toMatchObject({
      displayName: 'greeting',
      mimeType: 'text/plain',
      sizeBytes: '12',
      state: 'ACTIVE',
      source: 'UPLOADED',
      uri: `${handle.url}/v1beta/${uploaded.name}`,
    });

    const path = join(dir, 'input.jsonl');
    await writeFile(path, '{"a":1}\n');
    const named = await ai.files.upload({
      file: path,
      config: { name: 'my-input', mimeType: 'application/jsonl' },
    });
    expect(named.name).toBe('files/my-input');

    expect(await ai.files.get({ name: uploaded.name ?? '' })).toMatchObject({
      name: uploaded.name,
      sizeBytes: '12',
    });
    const names: string[] = [];
    for await (const f of await ai.files.list({ config: { pageSize: 1 } }))
      names.push(f.name ?? '');
    expect(names).toEqual([uploaded.name, 'files/my-input']);

    const out = join(dir, 'out.txt');
    await ai.files.download({ file: uploaded.name ?? '', downloadPath: out });
    expect(await readFile(out, 'utf8')).toBe('hello, files');

    await ai.files.delete({ name: 'files/my-input' });
    const gone = await apiError(() => ai.files.get({ name: 'files/my-input' }));
    expect(gone).toEqual({
      status: 403,
      body: {
        error: {
          code: 403,
          status: 'PERMISSION_DENIED',
          message: 'You do not have permission to access the File my-input or it may not exist.',
        },
      },
    });
    expect(handle.stats().files).toBe(1);
  });

  it('takes a file of several 8 MiB chunks and keeps every byte', async () => {
    const ai = client(await emulator());
    const bytes = new Uint8Array(9 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const uploaded = await ai.files.upload({
      file: new Blob([bytes], { type: 'application/octet-stream' }),
    });
    expect(uploaded.sizeBytes).toBe(String(bytes.length));
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(Buffer.from(uploaded.sha256Hash ?? '', 'base64').toString()).toBe(sha);
    const out = join(dir, 'big.bin');
    await ai.files.download({ file: uploaded.name ?? '', downloadPath: out });
    expect(
      createHash('sha256')
        .update(await readFile(out))
        .digest('hex'),
    ).toBe(sha);
  });

  it('refuses files over the upload limit and duplicate names', async () => {
    const ai = client(await emulator({ uploadLimitBytes: 100 }));
    const tooBig = await apiError(() =>
      ai.files.upload({ file: new Blob([new Uint8Array(101)], { type: 'text/plain' }) }),
    );
    expect(tooBig.status).toBe(400);
    await ai.files.upload({
      file: new Blob(['x'], { type: 'text/plain' }),
      config: { name: 'once' },
    });
    const again = await apiError(() =>
      ai.files.upload({ file: new Blob(['x'], { type: 'text/plain' }), config: { name: 'once' } }),
    );
    expect(again.body.error.status).toBe('ALREADY_EXISTS');
  });
});
