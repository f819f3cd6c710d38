import { objectId, parseObjectId, provenanceOf } from './object-ref';

describe('provenanceOf', () => {
  it('reads the object header: bucket, key (with # and spaces) and version of an S3 object', () => {
    const id = objectId({ kind: 's3', bucket: 'logs-b', key: 'app/a #1.log' }, '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY');
    expect(provenanceOf({ object: Buffer.from(id), line: '1' })).toEqual({ id, bucket: 'logs-b', key: 'app/a #1.log', version: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
  });

  it('reads the object header of a file', () => {
    const id = objectId({ kind: 'file', path: '/var/log/app.log' }, '1764000000000-42');
    expect(provenanceOf({ object: id })).toEqual({ id, path: '/var/log/app.log', version: '1764000000000-42' });
  });

  // Records written before the object header replaced them carry bucket, key (or path) and version.
  it('reads the three headers of records written by earlier versions, with the same id', () => {
    expect(provenanceOf({ bucket: Buffer.from('b'), key: Buffer.from('k/x.log'), version: Buffer.from('v1'), line: Buffer.from('7') })).toEqual({
      id: objectId({ kind: 's3', bucket: 'b', key: 'k/x.log' }, 'v1'),
      bucket: 'b',
      key: 'k/x.log',
      version: 'v1',
    });
    expect(provenanceOf({ path: '/tmp/a.log', version: '9-3' })).toEqual({ id: 'file:///tmp/a.log#9-3', path: '/tmp/a.log', version: '9-3' });
  });

  it('is undefined for records of other producers and ids that are not ours', () => {
    expect(provenanceOf(undefined)).toBeUndefined();
    expect(provenanceOf({ level: 'INFO' })).toBeUndefined();
    expect(provenanceOf({ bucket: 'b', key: 'k' })).toBeUndefined();
    expect(parseObjectId('s3://bucket-only#v')).toBeUndefined();
    expect(parseObjectId('http://x/y#v')).toBeUndefined();
    expect(parseObjectId('s3://b/k')).toBeUndefined();
  });
});
