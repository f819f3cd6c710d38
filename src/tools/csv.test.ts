import { CsvError, parseCsv, parseCsvWithHeader } from './csv';

describe('parseCsv (RFC 4180)', () => {
  it.each<[string, string, string[][]]>([
    ['plain fields, LF', 'a,b\n1,2\n', [['a', 'b'], ['1', '2']]],
    ['CRLF and no final line break', 'a,b\r\n1,2', [['a', 'b'], ['1', '2']]],
    ['empty fields', ',\n,x\n', [['', ''], ['', 'x']]],
    ['a quoted comma, quote and line break', '"a,b","say ""hi""","two\nlines"\n', [['a,b', 'say "hi"', 'two\nlines']]],
    // Hadoop's and Zookeeper's times carry a comma: the oracle quotes them.
    ['a quoted time with a comma', '1,2021-04-07,"09:12:33,456",INFO\n', [['1', '2021-04-07', '09:12:33,456', 'INFO']]],
    ['an empty quoted field at the end', 'a,""\n', [['a', '']]],
    ['a byte-order mark', '\ufeffa\n', [['a']]],
    ['a lone CR kept inside a field', 'a\rb\n', [['a\rb']]],
    ['empty text', '', []],
  ])('%s', (_name, text, records) => {
    expect(parseCsv(text)).toEqual(records);
  });

  // A lenient reader would shift every later column of the row without a word.
  it.each<[string, string]>([
    ['a quote inside an unquoted field', 'a"b,c\n'],
    ['text after a closing quote', '"a"b,c\n'],
    ['an unterminated quoted field', '"abc\n'],
  ])('throws for %s', (_name, text) => {
    expect(() => parseCsv(text)).toThrow(CsvError);
  });

  it('keys records by the header and refuses a record of another width, naming its row', () => {
    expect(parseCsvWithHeader('Time,Level\n04:30:30,Info\n').rows).toEqual([{ Time: '04:30:30', Level: 'Info' }]);
    expect(() => parseCsvWithHeader('Time,Level\n04:30:30\n')).toThrow(/CSV row 2: 1 fields where the header has 2/);
  });
});
