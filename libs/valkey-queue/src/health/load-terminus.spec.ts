import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MissingDependencyError } from '../errors/missing-dependency.error.js';
import { terminusBridge } from './load-terminus.js';

const notInstalled = () =>
  Promise.reject(
    Object.assign(new Error("Cannot find package '@nestjs/terminus'"), { code: 'ERR_MODULE_NOT_FOUND' }),
  );

describe('terminusBridge', () => {
  it('fails bootstrap with MissingDependencyError naming the package when terminus is not installed', async () => {
    @Module({ imports: [terminusBridge(notInstalled)] })
    class HealthLikeModule {}

    const compiling = Test.createTestingModule({ imports: [HealthLikeModule] }).compile();

    await expect(compiling).rejects.toThrow(MissingDependencyError);
    await expect(compiling).rejects.toThrow(
      "ValkeyQueueHealthModule needs the package '@nestjs/terminus', which cannot be loaded: install it (npm install @nestjs/terminus)",
    );
  });

  it('leaves no unhandled rejection behind when the module that needs terminus is never imported', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      terminusBridge(notInstalled);
      // Unhandled rejections are reported after the microtask queue drains: wait one macrotask.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
  });

  it('rejects a module that is not terminus', async () => {
    await expect(terminusBridge(() => Promise.resolve({}))).rejects.toThrow(MissingDependencyError);
  });
});
