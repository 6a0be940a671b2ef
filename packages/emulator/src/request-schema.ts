/**
 * Parses request bodies from untrusted JSON into typed requests, answering anything malformed
 * with the 400 INVALID_ARGUMENT messages the API uses (`* GenerateContentRequest.contents: ...`,
 * `Invalid value at '...' (TYPE_STRING), 5`). Every field the emulator reads is checked here,
 * so no handler ever meets a value of the wrong type.
 */
import { type HttpError, invalidArgument } from './errors.js';
import { describe, isRecord } from './validation.js';

export interface FunctionCall {
  name: string;
  args: Record<string, unknown>;
}

export interface Part {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: FunctionCall;
  functionResponse?: { name: string; response: Record<string, unknown> };
  executableCode?: { language: string; code: string };
  codeExecutionResult?: { outcome: string; output: string };
}

export interface Content {
  role: string | undefined;
  parts: Part[];
}

export interface FunctionDeclaration {
  name: string;
  /** The parameters' schema (OpenAPI-style `parameters` or `parametersJsonSchema`), unchecked. */
  schema: unknown;
}

export type FunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

/** The parts of a GenerateContentRequest the emulator acts on. */
export interface GenerateRequest {
  contents: Content[];
  systemInstruction: Content | undefined;
  functionDeclarations: FunctionDeclaration[];
  /** The tool declarations as sent, for counting their tokens into the prompt. */
  toolsJson: string | undefined;
  /** Built-in tools asked for (`googleSearch`, `codeExecution`, `urlContext`, ...). */
  builtInTools: string[];
  functionCallingMode: FunctionCallingMode;
  allowedFunctionNames: string[] | undefined;
  maxOutputTokens: number | undefined;
  thinkingBudget: number | undefined;
  includeThoughts: boolean;
  responseMimeType: string | undefined;
  responseSchema: unknown;
  cachedContent: string | undefined;
}

const PART_DATA_FIELDS = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
] as const;

const RESPONSE_MIME_TYPES = [
  'text/plain',
  'application/json',
  'application/xml',
  'application/yaml',
  'text/x.enum',
];

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function invalidValue(path: string, type: string, value: unknown): HttpError {
  return invalidArgument(`Invalid value at '${snake(path)}' (${type}), ${describe(value)}`);
}

function fieldError(request: string, path: string, message: string): HttpError {
  return invalidArgument(`* ${request}.${snake(path)}: ${message}\n`);
}

function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidValue(path, 'TYPE_STRING', value);
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : stringAt(value, path);
}

function int32At(value: unknown, path: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -2_147_483_648 || n > 2_147_483_647) {
    throw invalidValue(path, 'TYPE_INT32', value);
  }
  return n;
}

function numberAt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidValue(path, 'TYPE_FLOAT', value);
  }
  return value;
}

function boolAt(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalidValue(path, 'TYPE_BOOL', value);
  return value;
}

function messageAt(value: unknown, path: string, type: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw invalidValue(
      path,
      `type.googleapis.com/google.ai.generativelanguage.v1beta.${type}`,
      value,
    );
  }
  return value;
}

function listAt(value: unknown, path: string, type: string): unknown[] {
  if (!Array.isArray(value)) {
    throw invalidValue(
      path,
      `type.googleapis.com/google.ai.generativelanguage.v1beta.${type}`,
      value,
    );
  }
  return value;
}

function structAt(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value))
    throw invalidValue(path, 'type.googleapis.com/google.protobuf.Struct', value);
  return value;
}

function parsePart(value: unknown, path: string, request: string): Part {
  const raw = messageAt(value, path, 'Part');
  const present = PART_DATA_FIELDS.filter((f) => raw[f] !== undefined && raw[f] !== null);
  if (present.length === 0) {
    throw fieldError(
      request,
      `${path}.data`,
      "required oneof field 'data' must have one initialized field",
    );
  }
  if (present.length > 1) {
    throw invalidArgument(
      `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${present[1]}'`,
    );
  }
  const part: Part = {};
  if (raw.thought !== undefined && raw.thought !== null)
    part.thought = boolAt(raw.thought, `${path}.thought`);
  if (raw.text !== undefined) part.text = stringAt(raw.text, `${path}.text`);
  if (raw.inlineData !== undefined) {
    const data = messageAt(raw.inlineData, `${path}.inlineData`, 'Blob');
    const mimeType = stringAt(data.mimeType ?? '', `${path}.inlineData.mimeType`);
    const bytes = stringAt(data.data ?? '', `${path}.inlineData.data`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(bytes)) {
      throw invalidArgument(
        `Invalid value at '${snake(path)}.inline_data.data' (TYPE_BYTES), Base64 decoding failed for ${describe(bytes)}`,
      );
    }
    if (mimeType === '')
      throw fieldError(request, `${path}.inlineData.mimeType`, 'mime_type must not be empty');
    part.inlineData = { mimeType, data: bytes };
  }
  if (raw.fileData !== undefined) {
    const data = messageAt(raw.fileData, `${path}.fileData`, 'FileData');
    const fileUri = stringAt(data.fileUri ?? '', `${path}.fileData.fileUri`);
    if (fileUri === '')
      throw fieldError(request, `${path}.fileData.fileUri`, 'file_uri must not be empty');
    part.fileData = {
      mimeType: optionalString(data.mimeType, `${path}.fileData.mimeType`) ?? '',
      fileUri,
    };
  }
  if (raw.functionCall !== undefined) {
    const call = messageAt(raw.functionCall, `${path}.functionCall`, 'FunctionCall');
    const name = stringAt(call.name ?? '', `${path}.functionCall.name`);
    if (name === '')
      throw fieldError(request, `${path}.functionCall.name`, 'Name cannot be empty.');
    const args =
      call.args === undefined || call.args === null
        ? {}
        : structAt(call.args, `${path}.functionCall.args`);
    part.functionCall = { name, args };
  }
  if (raw.functionResponse !== undefined) {
    const res = messageAt(raw.functionResponse, `${path}.functionResponse`, 'FunctionResponse');
    const name = stringAt(res.name ?? '', `${path}.functionResponse.name`);
    if (name === '')
      throw fieldError(request, `${path}.functionResponse.name`, 'Name cannot be empty.');
    const response =
      res.response === undefined || res.response === null
        ? {}
        : structAt(res.response, `${path}.functionResponse.response`);
    part.functionResponse = { name, response };
  }
  if (raw.executableCode !== undefined) {
    const code = messageAt(raw.executableCode, `${path}.executableCode`, 'ExecutableCode');
    part.executableCode = {
      language: optionalString(code.language, `${path}.executableCode.language`) ?? 'PYTHON',
      code: optionalString(code.code, `${path}.executableCode.code`) ?? '',
    };
  }
  if (raw.codeExecutionResult !== undefined) {
    const result = messageAt(
      raw.codeExecutionResult,
      `${path}.codeExecutionResult`,
      'CodeExecutionResult',
    );
    part.codeExecutionResult = {
      outcome:
        optionalString(result.outcome, `${path}.codeExecutionResult.outcome`) ?? 'OUTCOME_OK',
      output: optionalString(result.output, `${path}.codeExecutionResult.output`) ?? '',
    };
  }
  return part;
}

/** Parses one `Content`; `path` is where it sits (`contents[0]`, `systemInstruction`). */
export function parseContent(value: unknown, path: string, request: string): Content {
  const raw = messageAt(value, path, 'Content');
  const role = optionalString(raw.role, `${path}.role`);
  if (role !== undefined && role !== '' && role !== 'user' && role !== 'model') {
    throw invalidArgument('Please use a valid role: user, model.');
  }
  if (raw.parts === undefined || raw.parts === null) {
    throw fieldError(request, `${path}.parts`, 'contents.parts must not be empty.');
  }
  const parts = listAt(raw.parts, `${path}.parts`, 'Part');
  if (parts.length === 0)
    throw fieldError(request, `${path}.parts`, 'contents.parts must not be empty.');
  return {
    role: role === '' ? undefined : role,
    parts: parts.map((p, i) => parsePart(p, `${path}.parts[${i}]`, request)),
  };
}

/** Parses the `contents` list, which must be present and non-empty. */
export function parseContents(value: unknown, request: string, path = 'contents'): Content[] {
  if (value === undefined || value === null) {
    throw fieldError(request, path, 'contents is not specified');
  }
  const list = listAt(value, path, 'Content');
  if (list.length === 0) throw fieldError(request, path, 'contents is not specified');
  return list.map((c, i) => parseContent(c, `${path}[${i}]`, request));
}

function parseTools(raw: unknown, request: string) {
  const functionDeclarations: FunctionDeclaration[] = [];
  const builtInTools: string[] = [];
  if (raw === undefined || raw === null)
    return { functionDeclarations, builtInTools, toolsJson: undefined };
  const tools = listAt(raw, 'tools', 'Tool');
  tools.forEach((toolValue, t) => {
    const tool = messageAt(toolValue, `tools[${t}]`, 'Tool');
    for (const [key, value] of Object.entries(tool)) {
      if (value === undefined || value === null) continue;
      if (key !== 'functionDeclarations') {
        builtInTools.push(key);
        continue;
      }
      const list = listAt(value, `tools[${t}].functionDeclarations`, 'FunctionDeclaration');
      list.forEach((declValue, d) => {
        const path = `tools[${t}].functionDeclarations[${d}]`;
        const decl = messageAt(declValue, path, 'FunctionDeclaration');
        const name = stringAt(decl.name ?? '', `${path}.name`);
        if (!FUNCTION_NAME.test(name)) {
          throw fieldError(
            request,
            `${path}.name`,
            'Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.',
          );
        }
        functionDeclarations.push({ name, schema: decl.parametersJsonSchema ?? decl.parameters });
      });
    }
  });
  return { functionDeclarations, builtInTools, toolsJson: JSON.stringify(tools) };
}

/**
 * Parses a GenerateContentRequest body (also the body of each batch request and of a
 * countTokens `generateContentRequest`). `request` names it in error messages.
 */
export function parseGenerateRequest(
  body: unknown,
  request = 'GenerateContentRequest',
): GenerateRequest {
  if (!isRecord(body)) {
    throw invalidArgument(
      'Invalid JSON payload received. Unknown name "": Root element must be a message.',
    );
  }
  const contents = parseContents(body.contents, request);
  const systemInstruction =
    body.systemInstruction === undefined || body.systemInstruction === null
      ? undefined
      : parseContent(body.systemInstruction, 'systemInstruction', request);
  const { functionDeclarations, builtInTools, toolsJson } = parseTools(body.tools, request);

  let functionCallingMode: FunctionCallingMode = 'AUTO';
  let allowedFunctionNames: string[] | undefined;
  if (body.toolConfig !== undefined && body.toolConfig !== null) {
    const toolConfig = messageAt(body.toolConfig, 'toolConfig', 'ToolConfig');
    if (
      toolConfig.functionCallingConfig !== undefined &&
      toolConfig.functionCallingConfig !== null
    ) {
      const fcc = messageAt(
        toolConfig.functionCallingConfig,
        'toolConfig.functionCallingConfig',
        'FunctionCallingConfig',
      );
      const mode = optionalString(fcc.mode, 'toolConfig.functionCallingConfig.mode');
      if (mode !== undefined && mode !== 'MODE_UNSPECIFIED') {
        if (mode !== 'AUTO' && mode !== 'ANY' && mode !== 'NONE' && mode !== 'VALIDATED') {
          throw invalidArgument(
            `Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), ${describe(mode)}`,
          );
        }
        functionCallingMode = mode;
      }
      if (fcc.allowedFunctionNames !== undefined && fcc.allowedFunctionNames !== null) {
        const names = listAt(
          fcc.allowedFunctionNames,
          'toolConfig.functionCallingConfig.allowedFunctionNames',
          'String',
        );
        allowedFunctionNames = names.map((n, i) =>
          stringAt(n, `toolConfig.functionCallingConfig.allowedFunctionNames[${i}]`),
        );
      }
    }
  }

  let maxOutputTokens: number | undefined;
  let thinkingBudget: number | undefined;
  let includeThoughts = false;
  let responseMimeType: string | undefined;
  let responseSchema: unknown;
  if (body.generationConfig !== undefined && body.generationConfig !== null) {
    const gc = messageAt(body.generationConfig, 'generationConfig', 'GenerationConfig');
    if (gc.maxOutputTokens !== undefined && gc.maxOutputTokens !== null) {
      const max = int32At(gc.maxOutputTokens, 'generationConfig.maxOutputTokens');
      if (max < 0) {
        throw fieldError(
          request,
          'generationConfig.maxOutputTokens',
          'max_output_tokens must be positive.',
        );
      }
      // 0 is proto3's "unset".
      if (max > 0) maxOutputTokens = max;
    }
    for (const key of ['temperature', 'topP', 'presencePenalty', 'frequencyPenalty'] as const) {
      if (gc[key] !== undefined && gc[key] !== null) numberAt(gc[key], `generationConfig.${key}`);
    }
    if (typeof gc.temperature === 'number' && (gc.temperature < 0 || gc.temperature > 2)) {
      throw fieldError(
        request,
        'generationConfig.temperature',
        'temperature must be between 0 and 2.',
      );
    }
    for (const key of ['topK', 'candidateCount', 'seed'] as const) {
      if (gc[key] !== undefined && gc[key] !== null) int32At(gc[key], `generationConfig.${key}`);
    }
    if (gc.stopSequences !== undefined && gc.stopSequences !== null) {
      const stops = listAt(gc.stopSequences, 'generationConfig.stopSequences', 'String');
      stops.forEach((s, i) => {
        stringAt(s, `generationConfig.stopSequences[${i}]`);
      });
      if (stops.length > 5) {
        throw fieldError(
          request,
          'generationConfig.stopSequences',
          'stop_sequences must have at most 5 entries.',
        );
      }
    }
    responseMimeType = optionalString(gc.responseMimeType, 'generationConfig.responseMimeType');
    if (responseMimeType !== undefined && !RESPONSE_MIME_TYPES.includes(responseMimeType)) {
      throw fieldError(
        request,
        'generationConfig.responseMimeType',
        'allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.',
      );
    }
    responseSchema = gc.responseJsonSchema ?? gc.responseSchema;
    if (gc.thinkingConfig !== undefined && gc.thinkingConfig !== null) {
      const tc = messageAt(gc.thinkingConfig, 'generationConfig.thinkingConfig', 'ThinkingConfig');
      if (tc.thinkingBudget !== undefined && tc.thinkingBudget !== null) {
        thinkingBudget = int32At(
          tc.thinkingBudget,
          'generationConfig.thinkingConfig.thinkingBudget',
        );
        if (thinkingBudget < -1) {
          throw fieldError(
            request,
            'generationConfig.thinkingConfig.thinkingBudget',
            'thinking_budget must be -1 (dynamic) or >= 0.',
          );
        }
      }
      if (tc.includeThoughts !== undefined && tc.includeThoughts !== null) {
        includeThoughts = boolAt(
          tc.includeThoughts,
          'generationConfig.thinkingConfig.includeThoughts',
        );
      }
      optionalString(tc.thinkingLevel, 'generationConfig.thinkingConfig.thinkingLevel');
    }
  }

  const cachedContent = optionalString(body.cachedContent, 'cachedContent');
  if (cachedContent !== undefined && !/^cachedContents\/[^/]+$/.test(cachedContent)) {
    throw fieldError(
      request,
      'cachedContent',
      `cached content name must look like cachedContents/{id} (got ${describe(cachedContent)})`,
    );
  }
  return {
    contents,
    systemInstruction,
    functionDeclarations,
    toolsJson,
    builtInTools,
    functionCallingMode,
    allowedFunctionNames,
    maxOutputTokens,
    thinkingBudget,
    includeThoughts,
    responseMimeType,
    responseSchema,
    cachedContent: cachedContent === '' ? undefined : cachedContent,
  };
}

/** A countTokens body: `contents`, or a whole `generateContentRequest`. */
export type CountTokensRequest =
  | { kind: 'contents'; contents: Content[] }
  | { kind: 'generate'; request: GenerateRequest };

export function parseCountTokensRequest(body: unknown): CountTokensRequest {
  if (!isRecord(body)) {
    throw invalidArgument(
      'Invalid JSON payload received. Unknown name "": Root element must be a message.',
    );
  }
  if (body.generateContentRequest !== undefined && body.generateContentRequest !== null) {
    if (body.contents !== undefined && body.contents !== null) {
      throw invalidArgument(
        '* CountTokensRequest: contents and generate_content_request cannot both be set.\n',
      );
    }
    messageAt(body.generateContentRequest, 'generateContentRequest', 'GenerateContentRequest');
    return {
      kind: 'generate',
      request: parseGenerateRequest(
        body.generateContentRequest,
        'CountTokensRequest.generate_content_request',
      ),
    };
  }
  return { kind: 'contents', contents: parseContents(body.contents, 'CountTokensRequest') };
}

export interface EmbedRequest {
  content: Content;
  outputDimensionality: number | undefined;
}

/** A batchEmbedContents body: `requests`, each with a `content` for the model in the URL. */
export function parseBatchEmbedRequest(body: unknown, model: string): EmbedRequest[] {
  if (!isRecord(body)) {
    throw invalidArgument(
      'Invalid JSON payload received. Unknown name "": Root element must be a message.',
    );
  }
  if (body.requests === undefined || body.requests === null) {
    throw fieldError('BatchEmbedContentsRequest', 'requests', 'requests is not specified');
  }
  const list = listAt(body.requests, 'requests', 'EmbedContentRequest');
  if (list.length === 0)
    throw fieldError('BatchEmbedContentsRequest', 'requests', 'requests is not specified');
  if (list.length > 100) {
    throw fieldError(
      'BatchEmbedContentsRequest',
      'requests',
      'at most 100 requests can be in one batch.',
    );
  }
  return list.map((value, i) => {
    const path = `requests[${i}]`;
    const raw = messageAt(value, path, 'EmbedContentRequest');
    const requestModel = optionalString(raw.model, `${path}.model`);
    if (
      requestModel !== undefined &&
      requestModel !== `models/${model}` &&
      requestModel !== model
    ) {
      throw fieldError(
        'BatchEmbedContentsRequest',
        `${path}.model`,
        `Model names should match: ${describe(requestModel)} is not models/${model}.`,
      );
    }
    if (raw.content === undefined || raw.content === null) {
      throw fieldError('BatchEmbedContentsRequest', `${path}.content`, 'content is not specified');
    }
    const content = parseContent(raw.content, `${path}.content`, 'BatchEmbedContentsRequest');
    let outputDimensionality: number | undefined;
    if (raw.outputDimensionality !== undefined && raw.outputDimensionality !== null) {
      outputDimensionality = int32At(raw.outputDimensionality, `${path}.outputDimensionality`);
      if (outputDimensionality < 1) {
        throw fieldError(
          'BatchEmbedContentsRequest',
          `${path}.outputDimensionality`,
          'output_dimensionality must be positive.',
        );
      }
    }
    optionalString(raw.taskType, `${path}.taskType`);
    optionalString(raw.title, `${path}.title`);
    return { content, outputDimensionality };
  });
}

/** One request of a batch: its GenerateContentRequest (unparsed: a bad one fails alone) and metadata. */
export interface BatchItem {
  request: unknown;
  metadata: Record<string, unknown> | undefined;
  /** The key of a JSONL input line. */
  key: string | undefined;
}

export interface BatchCreateRequest {
  displayName: string;
  input: { kind: 'inline'; items: BatchItem[] } | { kind: 'file'; fileName: string };
}

/** A batchGenerateContent body: `{ batch: { displayName?, inputConfig: { requests | fileName } } }`. */
export function parseBatchCreateRequest(body: unknown): BatchCreateRequest {
  if (!isRecord(body)) {
    throw invalidArgument(
      'Invalid JSON payload received. Unknown name "": Root element must be a message.',
    );
  }
  if (body.batch === undefined || body.batch === null) {
    throw fieldError('BatchGenerateContentRequest', 'batch', 'batch is not specified');
  }
  const batch = messageAt(body.batch, 'batch', 'GenerateContentBatch');
  const displayName = optionalString(batch.displayName, 'batch.displayName') ?? '';
  if (batch.inputConfig === undefined || batch.inputConfig === null) {
    throw fieldError(
      'BatchGenerateContentRequest',
      'batch.inputConfig',
      'input_config is not specified',
    );
  }
  const input = messageAt(batch.inputConfig, 'batch.inputConfig', 'InputConfig');
  const hasFile = input.fileName !== undefined && input.fileName !== null;
  const hasRequests = input.requests !== undefined && input.requests !== null;
  if (hasFile === hasRequests) {
    throw fieldError(
      'BatchGenerateContentRequest',
      'batch.inputConfig',
      'exactly one of file_name and requests must be set',
    );
  }
  if (hasFile) {
    const fileName = stringAt(input.fileName, 'batch.inputConfig.fileName');
    if (!/^files\/[^/]+$/.test(fileName)) {
      throw fieldError(
        'BatchGenerateContentRequest',
        'batch.inputConfig.fileName',
        `file name must look like files/{id} (got ${describe(fileName)})`,
      );
    }
    return { displayName, input: { kind: 'file', fileName } };
  }
  const wrapper = messageAt(input.requests, 'batch.inputConfig.requests', 'InlinedRequests');
  if (wrapper.requests === undefined || wrapper.requests === null) {
    throw fieldError(
      'BatchGenerateContentRequest',
      'batch.inputConfig.requests.requests',
      'requests is not specified',
    );
  }
  const list = listAt(wrapper.requests, 'batch.inputConfig.requests.requests', 'InlinedRequest');
  if (list.length === 0) {
    throw fieldError(
      'BatchGenerateContentRequest',
      'batch.inputConfig.requests.requests',
      'requests is not specified',
    );
  }
  const items = list.map((value, i) => {
    const path = `batch.inputConfig.requests.requests[${i}]`;
    const raw = messageAt(value, path, 'InlinedRequest');
    const metadata =
      raw.metadata === undefined || raw.metadata === null
        ? undefined
        : structAt(raw.metadata, `${path}.metadata`);
    return { request: raw.request, metadata, key: undefined };
  });
  return { displayName, input: { kind: 'inline', items } };
}
