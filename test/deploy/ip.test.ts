// ipFamily is net.isIP without the first-call cost of Node's IPv6 pattern: it must agree with it.
import assert from 'node:assert/strict';
import {isIP} from 'node:net';
import {test} from 'node:test';
import {ipFamily} from '../../src/deploy/ip.js';

test('ipFamily answers as net.isIP does', () => {
  const cases = [
    '127.0.0.1',
    '10.0.0.256',
    '1.2.3',
    '::1',
    '::',
    'fe80::1%eth0',
    '::ffff:127.0.0.1',
    '2001:db8::1',
    '[::1]',
    'redis',
    'db.example.com',
    'localhost',
    '',
    ':',
    '1::2::3',
    '01.2.3.4',
    ' 1.2.3.4',
  ];
  for (const c of cases) assert.equal(ipFamily(c), isIP(c), c);
});
