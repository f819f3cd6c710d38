import { parseVersion, requirePrerequisite } from './prereqs';

describe('parseVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', [17, 0]],
    ['openjdk version "21" 2023-09-19', [21, 0]],
    ['java version "1.8.0_392"', [1, 8]],
    ['Apache Maven 3.8.7\nMaven home: /usr/share/maven', [3, 8]],
    ['Python 3.11.7', [3, 11]],
    ['nothing here', undefined],
  ])('%j → %j', (output, expected) => {
    expect(parseVersion(output)).toEqual(expected);
  });
});

describe('requirePrerequisite', () => {
  it('names the missing program and what to install', () => {
    expect(() => requirePrerequisite({ command: 'logpipe-no-such-program', args: [], minimum: [1, 0], install: 'the thing (apt-get install thing)' })).toThrow(
      'logpipe-no-such-program was not found on PATH: install the thing (apt-get install thing)',
    );
  });

  it('rejects a version below the minimum', () => {
    // node prints "v20.x.y"; demand more than any node can have.
    expect(() => requirePrerequisite({ command: process.execPath, args: ['--version'], minimum: [999, 0], install: 'a newer one' })).toThrow(/is too old \(need 999\.0 or newer\): install a newer one/);
  });

  it('accepts a version at or above the minimum', () => {
    expect(() => requirePrerequisite({ command: process.execPath, args: ['--version'], minimum: [18, 0], install: 'node' })).not.toThrow();
  });
});
