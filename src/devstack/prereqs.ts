/**
 * Checks for the programs the local stack needs, with a message that says what to install.
 */
import { spawnSync } from 'node:child_process';

export interface Prerequisite {
  /** Program run with `args` to learn its version. */
  command: string;
  args: string[];
  /** Minimum major version (and minor for python), compared with the first version in the output. */
  minimum: [number, number];
  /** What to install, for the error message. */
  install: string;
}

export const JAVA: Prerequisite = {
  command: 'java',
  args: ['-version'],
  minimum: [17, 0],
  install: 'a Java 17+ JDK or JRE (Debian: apt-get install openjdk-17-jre-headless) and put java on PATH',
};

export const MAVEN: Prerequisite = {
  command: 'mvn',
  args: ['--version'],
  minimum: [3, 6],
  install: 'Apache Maven 3.6+ (Debian: apt-get install maven); it downloads the Kafka jars once',
};

export const PYTHON: Prerequisite = {
  command: 'python3',
  args: ['--version'],
  minimum: [3, 10],
  install: 'Python 3.10+ with the venv module (Debian: apt-get install python3 python3-venv); it runs moto',
};

/** The version a program prints (`java -version` writes to stderr), as [major, minor]. */
export function parseVersion(output: string): [number, number] | undefined {
  const m = /(?:version "|Maven |Python )(\d+)(?:\.(\d+))?/.exec(output) ?? /\b(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : undefined;
}

/** Throws an Error naming the program and what to install when it is missing or too old. */
export function requirePrerequisite(p: Prerequisite): void {
  const result = spawnSync(p.command, p.args, { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`${p.command} was not found on PATH: install ${p.install}`);
  }
  const version = parseVersion(`${result.stdout}\n${result.stderr}`);
  const [major, minor] = p.minimum;
  if (!version || version[0] < major || (version[0] === major && version[1] < minor)) {
    const found = version ? version.join('.') : 'an unknown version';
    throw new Error(`${p.command} ${found} is too old (need ${major}.${minor} or newer): install ${p.install}`);
  }
}
