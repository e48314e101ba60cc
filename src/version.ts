// The tool's name and version, from package.json (bundled into dist/).
import packageJson from '../package.json' with { type: 'json' };
import type { ToolInfo } from './model.ts';

export const TOOL: ToolInfo = { name: packageJson.name, version: packageJson.version };
