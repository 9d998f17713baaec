// The registry of `knd` subcommands. One file per command; add yours here.
import type { Command } from '../command.js';
import { checkInstallCommand } from './check-install.js';
import { discoverCommand } from './discover.js';
import { renderCommand } from './render.js';
import { postUninstallCommand, preUninstallCommand } from './uninstall-hooks.js';
import { validateConfigCommand } from './validate-config.js';

export const commands: readonly Command[] = [
  validateConfigCommand,
  discoverCommand,
  renderCommand,
  checkInstallCommand,
  preUninstallCommand,
  postUninstallCommand,
];
