import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unigramEntropy } from './stats';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('unigramEntropy: hand-computed values in nats', () => {
  near(unigramEntropy([0, 1, 0, 1]), Math.log(2));
  near(unigramEntropy(Uint16Array.of(3, 1, 2, 0)), Math.log(4));
  near(unigramEntropy([5, 5, 5, 7]), -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)));
  near(unigramEntropy([9, 9, 9]), 0);
  near(unigramEntropy([]), 0);
});

test('unigramEntropy: huge or negative ids (Map path) agree with the dense path', () => {
  near(unigramEntropy([-1, 2 ** 30, -1, 2 ** 30]), Math.log(2));
  near(unigramEntropy([1.5, 1.5, 2, 3]), unigramEntropy([1, 1, 2, 3]));
});
