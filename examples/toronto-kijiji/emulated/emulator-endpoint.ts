/**
 * Sources that talk to an emulator the pipeline runs as a service. The emulator listens on a free
 * port (port 0), so several examples, or several runs, never collide; its URL is only known once it
 * listens. An endpoint carries that URL from the service to the source, and `viaEmulator` wraps a
 * source component so that each poll resolves the current URL first (a restarted emulator may have
 * another port) and builds the wrapped source for it.
 *
 * An emulator given a fixed port has a URL known beforehand (`fixedUrl`): every process's sources use
 * it, so that a source polled by a `tributary worker` reaches the emulator that `dev` runs.
 */
import { TributaryError, z, type PollResult, type Source, type SourceComponent } from 'tributary';

export interface EmulatorEndpoint {
  readonly name: string;
  /** The service calls this once it listens, and with undefined when it stops. */
  set(url: string | undefined): void;
  /** The URL, waiting up to `timeoutMs` for the service to listen. */
  url(signal: AbortSignal, timeoutMs?: number): Promise<string>;
}

export function emulatorEndpoint(name: string, fixedUrl?: string): EmulatorEndpoint {
  let current: string | undefined = fixedUrl;
  const waiters = new Set<(url: string) => void>();
  return {
    name,
    set(url) {
      if (fixedUrl !== undefined) return;
      current = url;
      if (url !== undefined) for (const wake of waiters) wake(url);
      if (url !== undefined) waiters.clear();
    },
    url(signal, timeoutMs = 30_000) {
      if (current !== undefined) return Promise.resolve(current);
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', aborted);
          waiters.delete(wake);
        };
        const wake = (url: string) => {
          done();
          resolve(url);
        };
        const aborted = () => {
          done();
          reject(new TributaryError('SOURCE_UNAVAILABLE', `the ${name} emulator: stopped before it listened`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new TributaryError('SOURCE_UNAVAILABLE', `the ${name} emulator is not listening after ${timeoutMs} ms (is its service running?)`));
        }, timeoutMs);
        signal.addEventListener('abort', aborted, { once: true });
        waiters.add(wake);
      });
    },
  };
}

const viaConfig = z.strictObject({ name: z.string().min(1).describe('Source name; the wrapped source gets the same') });

/** `component` pointed at `endpoint`: `configFor(url)` gives its config for the emulator's current URL. */
export function viaEmulator<S extends z.ZodType>(component: SourceComponent<S>, endpoint: EmulatorEndpoint, configFor: (url: string) => z.input<S>): SourceComponent<typeof viaConfig> {
  return {
    name: `${component.name}@${endpoint.name}`,
    configSchema: viaConfig,
    create(_config, ctx): Source {
      let inner: { url: string; source: Source } | undefined;
      return {
        name: _config.name,
        async poll(signal): Promise<PollResult> {
          const url = await endpoint.url(signal);
          if (inner?.url !== url) {
            await inner?.source.close();
            const parsed = component.configSchema.safeParse(configFor(url));
            if (!parsed.success) throw new TributaryError('CONFIG_INVALID', `source ${_config.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
            inner = { url, source: component.create(parsed.data, ctx) };
          }
          return inner.source.poll(signal);
        },
        async close() {
          await inner?.source.close();
          inner = undefined;
        },
      };
    },
  };
}
