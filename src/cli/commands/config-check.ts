/** `tributary config check`: validate the config and print it resolved, secrets masked. */
import { Command, Option } from 'commander';
import { renderConfig, renderSettingsTable, renderSources } from '../../config/render.ts';
import type { CliContext, GlobalOptions } from '../context.ts';

interface CheckOptions extends GlobalOptions {
  format: 'yaml' | 'json';
  sources?: boolean;
  list?: boolean;
}

export function configCheckCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('validate the configuration (file, environment, flags) and print it resolved, with secrets masked')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--sources', 'print one line per setting with the place its value came from')
    .option('--list', 'list every setting with its environment variable, default and description, as Markdown')
    .action(async (_options: CheckOptions, command: Command) => {
      const options = command.optsWithGlobals<CheckOptions>();
      if (options.list) {
        ctx.io.stdout.write(renderSettingsTable());
        return;
      }
      const loaded = await ctx.loadConfig(options);
      ctx.io.stdout.write(options.sources ? renderSources(loaded) : renderConfig(loaded, options.format));
      const log = await ctx.logger(loaded);
      log.debug({ file: loaded.file }, 'config is valid');
    });
}

export function configCommand(ctx: CliContext): Command {
  return new Command('config').description('inspect the configuration').addCommand(configCheckCommand(ctx));
}
