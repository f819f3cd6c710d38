/**
 * The local broker's SASL_SSL listener: a throw-away CA, a broker certificate it signed (for
 * 127.0.0.1 and localhost), and a SCRAM user, all generated on this machine at `logpipe dev up` and
 * kept under `<stack.dir>/kafka/secure/` (never in git). Certificates are made with `keytool`, which
 * every Java 17 JDK and JRE ships beside `java`, so the stack needs no other tool.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runLogged } from './process';

/** The SCRAM user the local stack creates; its password is generated per stack folder. */
export const LOCAL_SCRAM_USER = 'logpipe';

/** What a client needs to use the local SASL_SSL listener (read by tests and `logpipe dev status`). */
export interface LocalSecureListener {
  /** PEM of the local CA: kafka.ssl.caFile. */
  caFile: string;
  username: string;
  password: string;
}

/** The generated files of one stack folder. */
export function secureFiles(kafkaHome: string): { dir: string; caKeystore: string; caFile: string; brokerKeystore: string; credentials: string } {
  const dir = path.join(kafkaHome, 'secure');
  return {
    dir,
    caKeystore: path.join(dir, 'ca.p12'),
    caFile: path.join(dir, 'ca.pem'),
    brokerKeystore: path.join(dir, 'broker.p12'),
    credentials: path.join(dir, 'credentials.json'),
  };
}

interface Credentials {
  /** Password of both PKCS12 keystores (the CA's and the broker's). */
  storePassword: string;
  username: string;
  password: string;
}

/**
 * The keytool of the Java that runs the broker: the one beside `java` on PATH (symbolic links
 * followed, as Debian's alternatives link only some programs), else $JAVA_HOME/bin/keytool, else
 * plain `keytool` for PATH to resolve.
 */
export function keytoolCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const java = path.join(dir, 'java');
    if (!fs.existsSync(java)) continue;
    const beside = path.join(path.dirname(fs.realpathSync(java)), 'keytool');
    if (fs.existsSync(beside)) return beside;
    break;
  }
  const home = env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, 'bin', 'keytool'))) return path.join(home, 'bin', 'keytool');
  return 'keytool';
}

/**
 * Makes a self-signed CA in `dir`: `<name>.p12` (its key, PKCS12) and `<name>.pem` (its certificate,
 * what a client trusts). Returns the PEM's path. Used for the stack's CA and, by tests, for a CA
 * that signed nothing the broker presents.
 */
export async function generateCa(dir: string, name: string, storePassword: string, logFile: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keystore = path.join(dir, `${name}.p12`);
  const pem = path.join(dir, `${name}.pem`);
  fs.rmSync(keystore, { force: true });
  const store = ['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', storePassword];
  await keytool(logFile, `generating the ${name} key`, ['-genkeypair', '-alias', 'ca', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-dname', `CN=logpipe local ${name}`, '-ext', 'bc:c', ...store]);
  await keytool(logFile, `exporting the ${name} certificate`, ['-exportcert', '-rfc', '-alias', 'ca', '-file', pem, ...store]);
  return pem;
}

/**
 * Generates, once per stack folder, the CA, the broker keystore and the SCRAM password; later calls
 * return what is there. A half-written set (an interrupted first run) is made again from scratch.
 */
export async function ensureSecureMaterial(kafkaHome: string, logFile: string, log: (m: string) => void): Promise<Credentials> {
  const f = secureFiles(kafkaHome);
  const complete = path.join(f.dir, '.complete');
  if (fs.existsSync(complete)) return JSON.parse(fs.readFileSync(f.credentials, 'utf8')) as Credentials;
  log(`generating a local CA, the broker certificate and a SCRAM password in ${f.dir}`);
  fs.rmSync(f.dir, { recursive: true, force: true });
  fs.mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  const credentials: Credentials = { storePassword: randomSecret(), username: LOCAL_SCRAM_USER, password: randomSecret() };
  fs.writeFileSync(f.credentials, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await generateCa(f.dir, 'ca', credentials.storePassword, logFile);
  const brokerStore = ['-keystore', f.brokerKeystore, '-storetype', 'PKCS12', '-storepass', credentials.storePassword];
  const caStore = ['-keystore', f.caKeystore, '-storetype', 'PKCS12', '-storepass', credentials.storePassword];
  const csr = path.join(f.dir, 'broker.csr');
  const signed = path.join(f.dir, 'broker.pem');
  await keytool(logFile, 'generating the broker key', ['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-dname', 'CN=localhost', ...brokerStore]);
  await keytool(logFile, 'the broker certificate request', ['-certreq', '-alias', 'broker', '-file', csr, ...brokerStore]);
  // kafkajs connects to 127.0.0.1 without SNI, so Node checks the IP against the subject alternative names.
  await keytool(logFile, 'signing the broker certificate', ['-gencert', '-alias', 'ca', '-infile', csr, '-outfile', signed, '-rfc', '-validity', '3650', '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-ext', 'EKU=serverAuth', ...caStore]);
  await keytool(logFile, 'importing the CA into the broker keystore', ['-importcert', '-noprompt', '-alias', 'ca', '-file', f.caFile, ...brokerStore]);
  await keytool(logFile, 'importing the signed broker certificate', ['-importcert', '-alias', 'broker', '-file', signed, ...brokerStore]);
  fs.writeFileSync(complete, `${new Date().toISOString()}\n`);
  return credentials;
}

/** The listener's client settings, or undefined before the first `logpipe dev up` made them. */
export function localSecureListener(kafkaHome: string): LocalSecureListener | undefined {
  const f = secureFiles(kafkaHome);
  if (!fs.existsSync(path.join(f.dir, '.complete'))) return undefined;
  const c = JSON.parse(fs.readFileSync(f.credentials, 'utf8')) as Credentials;
  return { caFile: f.caFile, username: c.username, password: c.password };
}

/** server.properties lines of the SASL_SSL listener (appended to the PLAINTEXT broker's). */
export function secureListenerProperties(opts: { keystore: string; storePassword: string }): string[] {
  return [
    // SCRAM-SHA-512 over TLS, as on Amazon MSK's SASL/SCRAM listener; no client certificate asked for.
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
    `listener.name.sasl_ssl.ssl.keystore.location=${opts.keystore}`,
    `listener.name.sasl_ssl.ssl.keystore.password=${opts.storePassword}`,
    `listener.name.sasl_ssl.ssl.key.password=${opts.storePassword}`,
    'listener.name.sasl_ssl.ssl.client.auth=none',
  ];
}

/**
 * The kafka-configs arguments (kafka.admin.ConfigCommand) that create or update the SCRAM-SHA-512
 * user (the broker refuses two mechanisms of one user in one request).
 */
export function scramUserArgs(bootstrap: string, username: string, password: string): string[] {
  return [
    '--bootstrap-server', bootstrap, '--alter', '--entity-type', 'users', '--entity-name', username,
    '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${password}]`,
  ];
}

/** Hex: no character that kafka-configs' `[...]` syntax or a properties file would treat specially. */
function randomSecret(): string {
  return crypto.randomBytes(18).toString('hex');
}

async function keytool(logFile: string, what: string, args: string[]): Promise<void> {
  try {
    const storePassword = args[args.indexOf('-storepass') + 1];
    await runLogged(logFile, keytoolCommand(), args, `keytool: ${what}`, undefined, args.includes('-storepass') ? [storePassword] : []);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(keytool comes with every Java 17 JDK or JRE, beside java; set JAVA_HOME or put it on PATH)`);
  }
}
