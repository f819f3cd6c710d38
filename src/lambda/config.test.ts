import { LambdaConfigError, loadLambdaConfig } from './config';

const BASE = { AWS_REGION: 'eu-west-1', LOGPIPE_TARGET_INSTANCE_IDS: 'i-0123456789abcdef0', LOGPIPE_DOCUMENT_NAME: 'logpipe-trigger' };

function errorOf(env: Record<string, string | undefined>): string {
  try {
    loadLambdaConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(LambdaConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a LambdaConfigError');
}

describe('loadLambdaConfig', () => {
  it('applies the defaults', () => {
    expect(loadLambdaConfig(BASE)).toEqual({
      target: { kind: 'instances', instanceIds: ['i-0123456789abcdef0'] },
      documentName: 'logpipe-trigger',
      region: 'eu-west-1',
      commandTimeoutSeconds: 60,
      waitForResult: false,
    });
  });

  it('reads every variable', () => {
    const config = loadLambdaConfig({
      AWS_REGION: 'us-east-1',
      LOGPIPE_TARGET_INSTANCE_IDS: ' i-0123456789abcdef0, mi-0123456789abcdef1 ,i-0123456789abcdef0',
      LOGPIPE_DOCUMENT_NAME: 'logpipe-TriggerDocument-AbC123',
      LOGPIPE_COMMAND_TIMEOUT_SECONDS: '120',
      LOGPIPE_WAIT_FOR_RESULT: 'true',
      LOGPIPE_SSM_ENDPOINT: 'http://127.0.0.1:5000',
    });
    expect(config).toEqual({
      target: { kind: 'instances', instanceIds: ['i-0123456789abcdef0', 'mi-0123456789abcdef1'] },
      documentName: 'logpipe-TriggerDocument-AbC123',
      region: 'us-east-1',
      commandTimeoutSeconds: 120,
      waitForResult: true,
      ssmEndpoint: 'http://127.0.0.1:5000',
    });
  });

  it('reads a tag target, keeping any = in the value', () => {
    expect(loadLambdaConfig({ AWS_REGION: 'eu-west-1', LOGPIPE_DOCUMENT_NAME: 'logpipe-trigger', LOGPIPE_TARGET_TAG: 'Role=logpipe=ingest' }).target).toEqual({ kind: 'tag', key: 'Role', value: 'logpipe=ingest' });
  });

  // CloudFormation passes "" for an unset optional parameter.
  it('treats empty variables as unset', () => {
    expect(loadLambdaConfig({ ...BASE, LOGPIPE_TARGET_TAG: '', LOGPIPE_SSM_ENDPOINT: '' })).not.toHaveProperty('ssmEndpoint');
  });

  // Each error names the variable and the value, so a misconfigured deployment is fixed from one log line.
  it.each([
    ['no target', { AWS_REGION: 'eu-west-1' }, 'no target: set LOGPIPE_TARGET_INSTANCE_IDS'],
    ['both targets', { ...BASE, LOGPIPE_TARGET_TAG: 'Role=logpipe' }, 'LOGPIPE_TARGET_INSTANCE_IDS and LOGPIPE_TARGET_TAG are both set'],
    ['a bad instance id', { ...BASE, LOGPIPE_TARGET_INSTANCE_IDS: 'i-0123456789abcdef0,web-1' }, 'LOGPIPE_TARGET_INSTANCE_IDS="i-0123456789abcdef0,web-1" is invalid'],
    ['an empty item in the id list', { ...BASE, LOGPIPE_TARGET_INSTANCE_IDS: 'i-0123456789abcdef0,' }, 'LOGPIPE_TARGET_INSTANCE_IDS="i-0123456789abcdef0," is invalid'],
    ['a tag without =', { ...BASE, LOGPIPE_TARGET_INSTANCE_IDS: undefined, LOGPIPE_TARGET_TAG: 'Role' }, 'LOGPIPE_TARGET_TAG="Role" is invalid: expected Key=Value'],
    ['a tag without value', { ...BASE, LOGPIPE_TARGET_INSTANCE_IDS: undefined, LOGPIPE_TARGET_TAG: 'Role=' }, 'LOGPIPE_TARGET_TAG="Role=" is invalid'],
    ['no document', { AWS_REGION: 'eu-west-1', LOGPIPE_TARGET_INSTANCE_IDS: 'i-0123456789abcdef0' }, 'LOGPIPE_DOCUMENT_NAME is not set'],
    // The documents that run any shell must never be the trigger's (issue 16).
    ['AWS-RunShellScript as the document', { ...BASE, LOGPIPE_DOCUMENT_NAME: 'AWS-RunShellScript' }, 'LOGPIPE_DOCUMENT_NAME="AWS-RunShellScript" is invalid: expected the name of your own SSM Command document'],
    ['a document name with a space', { ...BASE, LOGPIPE_DOCUMENT_NAME: 'my doc' }, 'LOGPIPE_DOCUMENT_NAME="my doc" is invalid'],
    ['no region', { LOGPIPE_TARGET_INSTANCE_IDS: 'i-0123456789abcdef0' }, 'AWS_REGION is not set'],
    ['a bad region', { ...BASE, AWS_REGION: 'Europe' }, 'AWS_REGION="Europe" is invalid'],
    ['a timeout that is not a number', { ...BASE, LOGPIPE_COMMAND_TIMEOUT_SECONDS: '1m' }, 'LOGPIPE_COMMAND_TIMEOUT_SECONDS="1m" is invalid: expected a whole number of seconds from 30 to 172800'],
    ['a timeout below SSM minimum', { ...BASE, LOGPIPE_COMMAND_TIMEOUT_SECONDS: '29' }, 'LOGPIPE_COMMAND_TIMEOUT_SECONDS="29" is invalid'],
    ['a timeout above the maximum', { ...BASE, LOGPIPE_COMMAND_TIMEOUT_SECONDS: '172801' }, 'LOGPIPE_COMMAND_TIMEOUT_SECONDS="172801" is invalid'],
    ['a fractional timeout', { ...BASE, LOGPIPE_COMMAND_TIMEOUT_SECONDS: '45.5' }, 'LOGPIPE_COMMAND_TIMEOUT_SECONDS="45.5" is invalid'],
    ['a wait flag that is not true/false', { ...BASE, LOGPIPE_WAIT_FOR_RESULT: 'yes' }, 'LOGPIPE_WAIT_FOR_RESULT="yes" is invalid: expected true or false'],
    ['waiting with a tag target', { AWS_REGION: 'eu-west-1', LOGPIPE_TARGET_TAG: 'Role=logpipe', LOGPIPE_WAIT_FOR_RESULT: 'true' }, 'LOGPIPE_WAIT_FOR_RESULT="true" needs LOGPIPE_TARGET_INSTANCE_IDS'],
    ['an endpoint that is not a URL', { ...BASE, LOGPIPE_SSM_ENDPOINT: '127.0.0.1:5000' }, 'LOGPIPE_SSM_ENDPOINT="127.0.0.1:5000" is invalid: expected an http:// or https:// URL'],
  ])('rejects %s', (_what, env, message) => {
    expect(errorOf(env)).toContain(message);
  });

  it('lists every problem in one error', () => {
    const message = errorOf({ AWS_REGION: 'Europe', LOGPIPE_TARGET_TAG: 'Role', LOGPIPE_WAIT_FOR_RESULT: 'maybe' });
    expect(message).toMatch(/^invalid Lambda configuration: /);
    expect(message).toContain('LOGPIPE_TARGET_TAG="Role"');
    expect(message).toContain('AWS_REGION="Europe"');
    expect(message).toContain('LOGPIPE_WAIT_FOR_RESULT="maybe"');
  });
});
