/**
 * A request the service refuses itself, before any lane is involved: the HTTP status and a
 * stable code the client can branch on (the message is for people).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string) => new HttpError(400, 'invalid_request', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
