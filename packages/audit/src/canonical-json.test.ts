import { describe, expect, it } from 'vitest';
import { AuditError, canonicalJson } from '@dpledger/audit';

const fromBits = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

describe('canonicalJson (RFC 8785)', () => {
  // RFC 8785 Appendix B: IEEE-754 bits and their required serialization.
  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('Appendix B: %s serializes as %s', (bits, expected) => {
    expect(canonicalJson(fromBits(bits))).toBe(expected);
  });

  it('rejects NaN and the infinities (Appendix B: 7fffffffffffffff, 7ff0000000000000)', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      expect(() => canonicalJson({ a: [fromBits(bits)] })).toThrow(AuditError);
    }
  });

  it('section 3.2.2 example: whitespace, literals, numbers and string escapes', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('section 3.2.3 example: members sorted by UTF-16 code units, not code points', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the member order from the text (Object.keys would list the integer-like "1" first).
    const values = [...canonicalJson(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    expect(values).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    expect(canonicalJson(input).startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  it('sorts nested objects, keeps array order and drops undefined members like JSON', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }, 3], a: undefined, e: null })).toBe('{"b":[{"c":2,"d":1},3],"e":null}');
  });

  it('rejects lone surrogates (I-JSON) and values that are not JSON', () => {
    expect(() => canonicalJson({ k: '\ud800' })).toThrow(AuditError);
    expect(() => canonicalJson({ '\udc00': 1 })).toThrow(AuditError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(AuditError);
    expect(() => canonicalJson(10n)).toThrow(AuditError);
    expect(() => canonicalJson({ a: [1, { 'b/c': NaN }] })).toThrow("non-finite number at '/a/1/b~1c'");
  });

  it('round-trips: parsing the output and canonicalizing again gives the same text', () => {
    const value = { z: [1.5, -0, 'x\u2028y', { '': true }], a: { nested: [null, 1e-7, 123456789012] } };
    const once = canonicalJson(value);
    expect(canonicalJson(JSON.parse(once))).toBe(once);
    expect(once).toBe('{"a":{"nested":[null,1e-7,123456789012]},"z":[1.5,0,"x\u2028y",{"":true}]}');
  });
});
