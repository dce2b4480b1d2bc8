// The codecs of the built package, imported as a user would, against the
// worked examples of spec/oncp.md §8.6, §11.2, §11.5 and §11.6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const oncp = require('oncp-wasm');

const hex = (s) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g).map((b) => parseInt(b, 16)));
const toHex = (b) => Buffer.from(b).toString('hex');

// §11.2 without its record length and KMP header: the 301 payload.
const CONFIG_PAYLOAD = hex(`
  00 01 00 00 00 14 00 01 00 00 00 04 0a 0a 01 02 00 02 00 00 00 04 ff ff ff 00
  00 03 00 00 00 0e 00 03 00 00 00 08 0a 00 00 00 ff 00 00 00
  00 06 00 00 00 0a 00 02 00 00 00 04 00 00 05 78
  00 07 00 00 00 50 00 01 00 00 00 04 11 22 33 44 00 02 00 00 00 40
  000102030405060708090a0b0c0d0e0f 202122232425262728292a2b2c2d2e2f30313233
  ${'00'.repeat(28)}
  00 08 00 00 00 3b 00 01 00 00 00 01 02 00 02 00 00 00 01 02 00 03 00 00 00 01 00
  00 04 00 00 00 02 11 94 00 06 00 00 00 04 00 00 0e 10 00 09 00 00 00 04 00 00 00 0f
  00 0a 00 00 00 04 00 00 00 01`);

test('parseConfig decodes the spec example', () => {
  const c = oncp.parseConfig(CONFIG_PAYLOAD);
  assert.equal(c.address, '10.10.1.2');
  assert.equal(c.netmask, '255.255.255.0');
  assert.deepEqual(c.splitInclude, [{ address: '10.0.0.0', netmask: '255.0.0.0', prefix: 8 }]);
  assert.equal(c.mtu, 1400);
  assert.equal(c.esp.spi, 0x11223344);
  assert.equal(c.esp.port, 4500);
  assert.equal(c.esp.cipher, 2);
  assert.equal(c.esp.replayProtection, true);
  assert.throws(() => oncp.parseConfig(CONFIG_PAYLOAD.slice(0, 30)), /TLV|truncated|runs past/);
});

test('decodeKmpStream splits records and messages (§11.5)', () => {
  const stream = hex(`01 00 00
    1e 00 00 00 00 00 00 00 01 2c 01 00 00 00 00 00 00 00 00 00 00 28 45 00 00 14 11 11 00 00 40 fd
    1e 00 53 d0 0a 00 00 01 0a 0a 01 02 45 00 00 14 22 22 00 00 40 fd 42 bf 0a 00 00 01 0a 0a 01 02
    00 00 08`);
  const items = oncp.decodeKmpStream(stream, 's2c');
  assert.deepEqual(items.map((i) => i.kind), ['status', 'message', 'terminated']);
  assert.equal(items[1].type, 300);
  assert.equal(items[1].length, 40);
  assert.equal(items[2].description, 'idle timeout');
  assert.throws(() => oncp.decodeKmpStream(stream, 'sideways'));
});

test('espDecrypt opens the spec data packet (§11.6)', () => {
  const sa = {
    spi: 0x11223344,
    cipher: 'aes128-cbc',
    integrity: 'hmac-sha1-96',
    encKey: '000102030405060708090a0b0c0d0e0f',
    macKey: '202122232425262728292a2b2c2d2e2f30313233',
  };
  const pkt = hex('1122334400000001f0e1d2c3b4a5968778695a4b3c2d1e0fa3a934bb2565a7ec33db4e80ff378025660f4915a7fb426a8895bebb2c4102cb78e4aed805aa83ed0e228143');
  const d = oncp.espDecrypt(sa, pkt);
  assert.equal(d.seq, 1);
  assert.equal(d.nextHeader, 4);
  assert.equal(d.payload, '450000140001000040fd64e00a0a01020a000001');
  pkt[30] ^= 1;
  assert.throws(() => oncp.espDecrypt(sa, pkt), /ICV/);
});

test('LZO decompresses the spec examples and round-trips', () => {
  assert.equal(Buffer.from(oncp.lzoDecompress(hex('15 41 42 43 44 6c 00 11 00 00'), 64)).toString(), 'ABCDABCD');
  const text = Buffer.from('Hello, Hello, Hello, world! '.repeat(40));
  const z = oncp.lzoCompress(text);
  assert.ok(z.length < text.length / 4);
  assert.equal(toHex(oncp.lzoDecompress(z, 4096)), toHex(text));
  assert.throws(() => oncp.lzoDecompress(hex('15 41 42'), 64));
});
