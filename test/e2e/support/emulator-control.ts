import type { ControlPatch, ControlState } from '@gemini-lanes/emulator';

/**
 * Switches the running emulator through its HTTP control route (`POST /emulator/control`), as
 * an operator or another process would: a latency regression, fault rates, quota.
 */
export async function controlEmulator(url: string, patch: ControlPatch): Promise<ControlState> {
  const response = await fetch(`${url}/emulator/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`emulator control ${JSON.stringify(patch)}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as ControlState;
}
