/**
 * Dev only: what Systems Manager does with a Command document between SendCommand and the shell,
 * for the local agent (ssm-agent.ts), since moto records commands without checking them. The
 * service refuses parameters the document does not declare and values that do not match their
 * `allowedPattern` (InvalidParameters), fills in defaults, and the agent pastes each value into the
 * `{{ name }}` references of the aws:runShellScript steps. Only what logpipe's documents use is
 * emulated: String parameters, aws:runShellScript steps, runCommand and timeoutSeconds.
 */

/** One aws:runShellScript step, ready to run: its script text and time limit. */
export interface RenderedStep {
  name: string;
  script: string;
  timeoutSeconds: number;
}

/** Parameters SSM would refuse at SendCommand (its InvalidParameters error). */
export class InvalidParametersError extends Error {
  override readonly name = 'InvalidParameters';
}

interface DocumentLike {
  parameters?: Record<string, { allowedPattern?: string; default?: string }>;
  mainSteps?: Array<{ action?: string; name?: string; inputs?: { runCommand?: string[]; timeoutSeconds?: string | number } }>;
}

const DEFAULT_TIMEOUT_SECONDS = 3600;

/**
 * Checks `parameters` against `document` as the SSM service does and returns its shell steps with
 * the values substituted. Throws InvalidParametersError naming the parameter, and an Error for a
 * step this emulation does not run.
 */
export function renderCommandDocument(document: DocumentLike, parameters: Record<string, string[] | undefined>): RenderedStep[] {
  const declared = document.parameters ?? {};
  const values: Record<string, string> = {};
  for (const name of Object.keys(parameters)) {
    if (!(name in declared)) throw new InvalidParametersError(`parameter "${name}" is not declared by the document`);
  }
  for (const [name, spec] of Object.entries(declared)) {
    const given = parameters[name];
    const value = given === undefined ? spec.default : given.join('\n');
    if (value === undefined) throw new InvalidParametersError(`parameter "${name}" is required`);
    if (spec.allowedPattern !== undefined && !new RegExp(spec.allowedPattern, 'u').test(value)) {
      throw new InvalidParametersError(`parameter "${name}" value ${JSON.stringify(value.slice(0, 100))} does not match its allowedPattern ${spec.allowedPattern}`);
    }
    values[name] = value;
  }
  return (document.mainSteps ?? []).map((step, i) => {
    if (step.action !== 'aws:runShellScript') throw new Error(`step ${i} is ${String(step.action)}; only aws:runShellScript is emulated`);
    const lines = (step.inputs?.runCommand ?? []).map((line) => line.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (ref, name: string) => (name in values ? values[name] : ref)));
    return { name: step.name ?? `step${i}`, script: `${lines.join('\n')}\n`, timeoutSeconds: Number(step.inputs?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) };
  });
}
