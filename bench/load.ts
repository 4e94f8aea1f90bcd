import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scenario } from './types.js';

export const scenariosDir = join(import.meta.dirname, 'scenarios');

function scenariosOf(module: Record<string, unknown>): Scenario[] {
  const found: Scenario[] = [];
  if (module.scenario) found.push(module.scenario as Scenario);
  if (Array.isArray(module.scenarios)) found.push(...(module.scenarios as Scenario[]));
  return found;
}

export async function loadAll(): Promise<Array<{ file: string; scenario: Scenario }>> {
  const files = readdirSync(scenariosDir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const all: Array<{ file: string; scenario: Scenario }> = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(scenariosDir, file)).href)) as Record<string, unknown>;
    for (const scenario of scenariosOf(module)) all.push({ file, scenario });
  }
  return all;
}

export async function loadScenario(file: string, name: string): Promise<Scenario> {
  const module = (await import(pathToFileURL(join(scenariosDir, file)).href)) as Record<string, unknown>;
  const scenario = scenariosOf(module).find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario ${name} in ${file}`);
  return scenario;
}
