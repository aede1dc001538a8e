/**
 * Answers to requests that never reach a route because Node's HTTP parser refused them (headers too
 * large, a request that took too long to arrive, bytes that are not HTTP). They get the same body as
 * every other error, `{ statusCode, error, code, message }`, written straight to the socket, which is
 * then closed: the connection cannot carry another request.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { body } from './server.ts';

const ANSWERS: Record<string, [status: number, code: string, message: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts (16 KiB by default); send fewer or shorter headers'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time; send it again'],
};
const OTHER: [number, string, string] = [400, 'BAD_REQUEST', 'the request is not valid HTTP'];

export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = ANSWERS[error.code ?? ''] ?? OTHER;
  this.log.trace({ err: error }, 'client error');
  if (socket.writable) {
    const answer = body(status, code, message);
    const text = JSON.stringify(answer);
    const reason = String(answer.error);
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy(error);
}
