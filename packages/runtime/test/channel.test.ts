import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageSplitter } from '../src/channel';
test('MessageSplitter reassembles messages split across chunks', () => {
  const got: unknown[] = [];
  const s = new MessageSplitter((m) => got.push(m));
  s.push('{"t":"warn","mes');
  s.push('sage":"a"}\n{"t":"exec"}\n{"t"');
  s.push(':"error","report":{"message":"x","exitCode":125}}\n');
  assert.deepEqual(got, [{ t: 'warn', message: 'a' }, { t: 'exec' }, { t: 'error', report: { message: 'x', exitCode: 125 } }]);
});

