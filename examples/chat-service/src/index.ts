export {
  type ChatRequestBody,
  type ChatTurn,
  MAX_HISTORY_TURNS,
  MAX_TEXT_CHARS,
  type ParsedChatRequest,
  parseChatRequest,
} from './chat-request.js';
export {
  type ChatService,
  type ChatServiceOptions,
  DEFAULT_METRICS_PORT,
  DEFAULT_PORT,
  startChatService,
} from './chat-service.js';
export { type ErrorResponse, errorResponse } from './error-response.js';
export { type ChatEvent, openEventStream, type UsageSummary, writeEvent } from './event-stream.js';
