import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Random } from '@gemini-lanes/emulator';

const PRODUCTS = [
  'billing',
  'the mobile app',
  'single sign-on',
  'data export',
  'the API',
  'search',
];
const SUBJECTS = [
  'the customer',
  'the admin',
  'their finance team',
  'a new user',
  'the integration',
  'the nightly sync',
  'support',
  'the on-call engineer',
];
const VERBS = [
  'reported',
  'could not reproduce',
  'noticed',
  'escalated',
  'asked about',
  'worked around',
  'confirmed',
  'attached logs for',
];
const OBJECTS = [
  'a timeout when saving invoices',
  'duplicate charges after a retry',
  'a blank screen on login',
  'slow exports of large reports',
  'a 429 error from the public API',
  'missing rows in the CSV',
  'an expired certificate warning',
  'a locale bug in dates',
  'stale search results',
  'a permissions error for guests',
];
const TAILS = [
  'since the last release',
  'only on Mondays',
  'for accounts in the EU region',
  'after the password reset',
  'when more than 500 items are selected',
  'on the Android build',
  'intermittently, about once an hour',
  'and it blocks their month-end close',
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)] as T;
}

/** A plausible support ticket of about 1,000 to 2,500 characters (250 to 600 tokens). */
function ticket(random: Random, n: number): string {
  const sentences = [`Ticket #${10_000 + n}: problem with ${pick(random, PRODUCTS)}.`];
  const count = random.int(8, 18);
  for (let i = 0; i < count; i++) {
    sentences.push(
      `${pick(random, SUBJECTS)} ${pick(random, VERBS)} ${pick(random, OBJECTS)} ${pick(random, TAILS)}.`.replace(
        /^./,
        (c) => c.toUpperCase(),
      ),
    );
  }
  return sentences.join(' ');
}

/**
 * Writes the demo's batch job input: `count` summarisation requests as `{ id, request }` JSONL
 * lines, the same bytes for the same seed, so a job cancelled by one run resumes in the next.
 */
export async function writeBatchInput(
  path: string,
  options: { count: number; seed: number; model: string },
): Promise<void> {
  const random = new Random(options.seed * 7919 + 17);
  const lines: string[] = [];
  for (let n = 1; n <= options.count; n++) {
    lines.push(
      JSON.stringify({
        id: `ticket-${String(n).padStart(5, '0')}`,
        request: {
          model: options.model,
          contents: [
            {
              role: 'user',
              parts: [
                {
                  text: `Summarise this support ticket in two or three sentences for the on-call engineer, naming the product and the likely cause.\n\n${ticket(random, n)}`,
                },
              ],
            },
          ],
          config: { maxOutputTokens: 128, temperature: 0.2 },
        },
      }),
    );
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${lines.join('\n')}\n`);
}
