export * from '@isolate/testkit';
export { parseMountinfo as parseMountinfoText } from '@isolate/core';
