import { SendRawEmailCommand } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { createSes } from '../../src/system/kafka/clients';
import { eventually, testConfig, uniqueName } from '../support/helpers';

const config = testConfig();
const ses = createSes(config);
afterAll(() => ses.destroy());

interface StoredEmail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string };
  attachments: Array<{ filename: string; contentType: string; content: string }>;
}

describe('SES emulator', () => {
  it('SendRawEmail with an attachment shows up at GET /store', async () => {
    const subject = uniqueName('logpipe report');
    const csv = 'level,count\nERROR,3\nINFO,5\n';
    const raw = await new MailComposer({
      from: 'logpipe@example.test',
      to: 'oncall@example.test',
      subject,
      text: 'ERROR count 3 exceeds 1',
      attachments: [{ filename: 'window.csv', content: csv, contentType: 'text/csv' }],
    })
      .compile()
      .build();
    const sent = await ses.send(new SendRawEmailCommand({ RawMessage: { Data: raw } }));
    expect(sent.MessageId).toEqual(expect.any(String));

    const email = await eventually('the email in the emulator store', async () => {
      const res = await fetch(`${config.ses.endpoint}/store`);
      const { emails } = (await res.json()) as { emails: StoredEmail[] };
      return emails.find((e) => e.subject === subject);
    });
    expect(email.destination.to).toEqual(['oncall@example.test']);
    expect(email.body.text).toContain('ERROR count 3 exceeds 1');
    expect(email.attachments).toHaveLength(1);
    expect(email.attachments[0]).toMatchObject({ filename: 'window.csv', contentType: expect.stringContaining('text/csv') });
    expect(Buffer.from(email.attachments[0].content, 'base64').toString()).toBe(csv);
  });
});
