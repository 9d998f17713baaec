import { describe, expect, it } from '@jest/globals';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NetlinkError,
  decodeAttrs,
  decodeMessages,
  encodeAttrs,
  encodeMessage,
  parseErrorMessage,
} from './netlink-codec.js';
import { collectReply } from './netlink-socket.js';
import { errnoName } from './errno-names.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('attributes', () => {
  it.each([
    ['u32', [{ type: 4, value: hex('28230000') }], '0800 0400 28230000'],
    ['string padded to 4', [{ type: 3, value: Buffer.from('net1\0') }], '0900 0300 6e65743100 000000'],
    ['6-byte MAC padded', [{ type: 1, value: hex('02005e100001') }], '0a00 0100 02005e100001 0000'],
    [
      'nested sets NLA_F_NESTED',
      [{ type: 18, value: [{ type: 1, value: Buffer.from('veth') }] }],
      '0c00 1280 0800 0100 76657468',
    ],
  ])('%s', (_name, attrs, bytes) => {
    expect(encodeAttrs(attrs).toString('hex')).toBe(bytes.replace(/\s+/g, ''));
  });

  it('decodes back, masking the nested flag', () => {
    const a = decodeAttrs(hex('0900 0300 6e65743100 000000 0c00 1280 0800 0100 76657468'));
    expect(a.get(3)?.toString()).toBe('net1\0');
    expect(a.get(18)?.toString('hex')).toBe('0800010076657468');
  });

  it.each([
    ['length beyond buffer', '0900 0300 6e65'],
    ['length below header', '0200 0300'],
  ])('rejects %s', (_n, bytes) => {
    expect(() => decodeAttrs(hex(bytes))).toThrow(/netlink attribute at offset 0/);
  });
});

describe('messages', () => {
  it('frames a header and body', () => {
    const m = encodeMessage({ type: 16, flags: 0x5, seq: 7, pid: 0 }, hex('00000000'));
    expect(m.toString('hex')).toBe('14000000' + '1000' + '0500' + '07000000' + '00000000' + '00000000');
  });

  it('splits a stream of two aligned messages', () => {
    const a = encodeMessage({ type: 16, flags: 2, seq: 9, pid: 1 }, hex('aabbcc'));
    const b = encodeMessage({ type: NLMSG_DONE, flags: 2, seq: 9, pid: 1 }, hex('00000000'));
    const msgs = decodeMessages(Buffer.concat([a, hex('00'), b]));
    expect(msgs.map((m) => [m.type, m.seq, m.payload.toString('hex')])).toEqual([
      [16, 9, 'aabbcc'],
      [NLMSG_DONE, 9, '00000000'],
    ]);
  });

  it.each([
    ['truncated header', '1400000010'],
    ['length past the end', '40000000 1000 0000 00000000 00000000'],
  ])('rejects %s', (_n, bytes) => {
    expect(() => decodeMessages(hex(bytes))).toThrow(/netlink message at offset 0/);
  });
});

describe('errors and ACKs', () => {
  const errorMsg = (errno: number, text?: string): Buffer => {
    const echo = hex('28000000 1000 0500 07000000 00000000');
    const tlv =
      text === undefined ? Buffer.alloc(0) : encodeAttrs([{ type: 1, value: Buffer.from(`${text}\0`) }]);
    const code = Buffer.alloc(4);
    code.writeInt32LE(-errno, 0);
    const flags = NLM_F_CAPPED | (text === undefined ? 0 : NLM_F_ACK_TLVS);
    return encodeMessage({ type: NLMSG_ERROR, flags, seq: 7, pid: 0 }, Buffer.concat([code, echo, tlv]));
  };

  it('parses errno and the extended-ACK message', () => {
    const [m] = decodeMessages(errorMsg(22, 'multiple netns identifying attributes'));
    expect(m && parseErrorMessage(m)).toEqual({
      errno: 22,
      message: 'multiple netns identifying attributes',
    });
  });

  it('an ACK (errno 0) ends the reply with the messages before it', () => {
    const data = encodeMessage({ type: 16, flags: 0, seq: 7, pid: 0 }, hex('00'));
    const msgs = decodeMessages(Buffer.concat([data, hex('000000'), errorMsg(0)]));
    expect(collectReply(msgs, 7, 'x').map((m) => m.type)).toEqual([16]);
  });

  it('an error ACK throws NetlinkError with the errno name and kernel text', () => {
    expect(() =>
      collectReply(decodeMessages(errorMsg(17, 'File exists')), 7, 'add address 10.0.0.1/24'),
    ).toThrow(new NetlinkError('add address 10.0.0.1/24', 17, 'File exists'));
    try {
      collectReply(decodeMessages(errorMsg(19)), 7, 'get link');
    } catch (e) {
      expect(e).toMatchObject({ code: 'ENODEV', errno: 19, message: 'get link: ENODEV' });
    }
  });

  it('ignores messages of other sequence numbers and fails without a final message', () => {
    expect(() => collectReply(decodeMessages(errorMsg(0)), 8, 'dump')).toThrow(
      'dump: reply ended without ACK or DONE',
    );
  });

  it.each([
    [17, 'EEXIST'],
    [-19, 'ENODEV'],
    [101, 'ENETUNREACH'],
    [250, 'errno 250'],
  ])('errno %d is %s', (n, name) => {
    expect(errnoName(n)).toBe(name);
  });
});
