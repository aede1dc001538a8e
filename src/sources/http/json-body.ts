/** Parsing a JSON response body with an error that says which URL and where in the body it broke. */
import { TributaryError } from '../../errors.ts';

export function parseJsonBody(body: string, url: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? (/(end of|Unexpected end)/i.test(message) ? body.length : NaN));
    const where = Number.isNaN(position) ? '' : ` at ${describePosition(body, position)}`;
    throw new TributaryError('SOURCE_INVALID_RESPONSE', `response from ${url} is not valid JSON${where}: ${message}`, { cause: error });
  }
}

function describePosition(body: string, position: number): string {
  const before = body.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  const near = JSON.stringify(body.slice(Math.max(0, position - 20), position + 20));
  return `position ${position} (line ${line}, column ${column}, near ${near})`;
}
