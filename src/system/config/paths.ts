import path from 'node:path';

/**
 * The package's root folder (holding package.json, config/, infra/), whether the code runs
 * compiled from dist/ or as TypeScript from src/ under ts-jest: this file sits three levels below it
 * (src/system/config/ or dist/system/config/).
 */
export function packageRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}
