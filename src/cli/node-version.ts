/**
 * The oldest Node.js the CLI runs on. `node:sqlite` (the embedded metadata, state and sinks) loads
 * without a flag from 22.13; an older Node would fail late, at the first command that opens one, with
 * an error that says nothing about the version. The check runs before anything else is imported.
 */

export const MIN_NODE = [22, 13] as const;

/** What to tell the user when `version` (`process.versions.node`, e.g. "20.18.1") is too old, or undefined when it is new enough. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return (
    `tributary needs Node.js ${MIN_NODE.join('.')} or newer; this is Node.js ${version}.\n` +
    `From a clone of the project, run: eval "$(scripts/setup-node --env)"   (installs Node.js 24 into a cache and puts it on PATH)\n` +
    `Or install Node.js 24 from https://nodejs.org and run tributary again.\n`
  );
}
