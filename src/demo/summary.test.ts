import { summaryLines } from './summary';

describe('summaryLines', () => {
  it('says what the run did in words and numbers, one object per line, no JSON', () => {
    const lines = summaryLines({ topic: 'logpipe.demo-1', bucket: 'logpipe-demo', seconds: 119, linesGenerated: 3301, errorsGenerated: 37, objectsUploaded: 18, windows: 1, alerts: 1, emails: 0, reportsDir: 'reports', inbox: 'http://127.0.0.1:8005/' });
    expect(lines).toEqual([
      'Summary: 119 s; 18 objects uploaded (3,301 lines, 37 ERROR); 1 window reported, 1 alert, 0 emails received.',
      '  log topic logpipe.demo-1; reports in reports/; inbox http://127.0.0.1:8005/',
    ]);
  });
});
