/**
 * How the kafka.ssl.* and kafka.sasl.* settings become kafkajs's `ssl` and `sasl` options. Pure apart
 * from the injected file reader and MSK token signer, so the mapping is tested without a network.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';

export const SASL_MECHANISMS = ['none', 'scram-sha-512', 'scram-sha-256', 'plain', 'aws-msk-iam'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The part of the configuration this module reads (LogpipeConfig['kafka'] has it). */
export interface KafkaSecurityConfig {
  ssl: { enabled: boolean; caFile: string; certFile: string; keyFile: string; keyPassword: string };
  sasl: { mechanism: SaslMechanism; username: string; password: string; region: string };
}

/** An MSK IAM token as aws-msk-iam-sasl-signer-js returns it (a presigned, base64url URL). */
export interface MskIamToken {
  token: string;
  expiryTime: number;
}

export interface KafkaSecurityDeps {
  readFile: (file: string) => Buffer;
  /** aws.region: the region MSK IAM tokens are signed for when kafka.sasl.region is "". */
  awsRegion: string;
  /** Signs a token for `region` with the AWS default credential chain. */
  mskIamToken: (region: string) => Promise<MskIamToken>;
}

export interface KafkaSecurityOptions {
  ssl?: true | ConnectionOptions;
  sasl?: SASLOptions;
}

/**
 * The kafkajs `ssl` and `sasl` options for a validated configuration (config.ts checks the
 * combinations: files only with TLS, username and password for SCRAM and PLAIN, ...). Reads the
 * certificate files now, so a client never starts with a file it cannot read; throws an Error naming
 * the key and the path otherwise. Certificates are always verified: there is no option to turn that off.
 */
export function kafkaSecurityOptions(security: KafkaSecurityConfig, deps: KafkaSecurityDeps): KafkaSecurityOptions {
  const out: KafkaSecurityOptions = {};
  const { ssl, sasl } = security;
  if (ssl.enabled) {
    const read = (key: string, file: string): Buffer => {
      try {
        return deps.readFile(file);
      } catch (err) {
        throw new Error(`cannot read ${key} "${file}": ${(err as Error).message}`);
      }
    };
    const tls: ConnectionOptions = {};
    // `ca` replaces Node's default roots: with a CA file, only that CA is trusted.
    if (ssl.caFile) tls.ca = [read('kafka.ssl.caFile', ssl.caFile)];
    if (ssl.certFile) tls.cert = read('kafka.ssl.certFile', ssl.certFile);
    if (ssl.keyFile) tls.key = read('kafka.ssl.keyFile', ssl.keyFile);
    if (ssl.keyPassword) tls.passphrase = ssl.keyPassword;
    out.ssl = Object.keys(tls).length ? tls : true;
  }
  switch (sasl.mechanism) {
    case 'none':
      break;
    case 'scram-sha-512':
    case 'scram-sha-256':
    case 'plain':
      out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
      break;
    case 'aws-msk-iam': {
      const region = sasl.region || deps.awsRegion;
      // kafkajs asks for a token at every authentication (each new connection and each
      // re-authentication the broker demands), so an expired token is never reused.
      out.sasl = {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => {
          try {
            return { value: (await deps.mskIamToken(region)).token };
          } catch (err) {
            throw new Error(`kafka.sasl.mechanism aws-msk-iam: cannot sign a token for ${region} with the AWS default credential chain: ${(err as Error).message}`);
          }
        },
      };
      break;
    }
  }
  return out;
}

/** The signer of aws-msk-iam-sasl-signer-js, loaded only when MSK IAM is configured (it pulls in STS and the credential providers). */
export async function signMskIamToken(region: string): Promise<MskIamToken> {
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return generateAuthToken({ region });
}
