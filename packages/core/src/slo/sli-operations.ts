/**
 * Operations whose requests count in the availability SLI, its traffic guards and the error
 * ratio the dashboards draw against the availability budget: the work a caller asked for. Token
 * counting and Batch API bookkeeping (create, get, list, cancel: the throughput lane polls a
 * batch many times while it runs) would swamp the SLI with easy successes.
 */
export const SLI_OPERATIONS = ['generate_content', 'embeddings'] as const;
