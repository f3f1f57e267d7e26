import { Injectable, Scope } from '@nestjs/common';
import {
  DuplicateWorkerError,
  InvalidOptionsError,
  InvalidWorkerError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueWorker,
  WorkerRegistry,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { bootFailure, bootWorkers, uniqueQueue } from './worker-test-kit.js';

describe('worker discovery and bootstrap errors (real Valkey)', () => {
  const valkey = useValkey();

  it('fails bootstrap naming the class when there is no @OnMessage method', async () => {
    @QueueWorker(uniqueQueue())
    class NoHandlerWorker {
      async handle(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [NoHandlerWorker]);
    expect(error).toBeInstanceOf(InvalidWorkerError);
    expect(error.message).toBe(
      'Invalid worker NoHandlerWorker: it needs exactly one @OnMessage() method (found: none)',
    );
  });

  it('fails bootstrap naming the class and methods when there are two @OnMessage methods', async () => {
    @QueueWorker(uniqueQueue())
    class TwoHandlersWorker {
      @OnMessage() async first(): Promise<void> {}
      @OnMessage() async second(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [TwoHandlersWorker]);
    expect(error).toBeInstanceOf(InvalidWorkerError);
    expect(error.message).toMatch(
      /TwoHandlersWorker: it needs exactly one @OnMessage\(\) method \(found: first, second\)/,
    );
  });

  it('fails bootstrap for two @OnDead or two @OnBroken methods', async () => {
    @QueueWorker(uniqueQueue())
    class TwoDeadWorker {
      @OnMessage() async handle(): Promise<void> {}
      @OnDead() async a(): Promise<void> {}
      @OnDead() async b(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [TwoDeadWorker])).resolves.toThrow(/more than one @OnDead\(\)/);
    @QueueWorker(uniqueQueue())
    class TwoBrokenWorker {
      @OnMessage() async handle(): Promise<void> {}
      @OnBroken() async a(): Promise<void> {}
      @OnBroken() async b(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [TwoBrokenWorker])).resolves.toThrow(
      /more than one @OnBroken\(\)/,
    );
  });

  it('fails bootstrap for a request-scoped worker', async () => {
    @QueueWorker(uniqueQueue())
    @Injectable({ scope: Scope.REQUEST })
    class ScopedWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [ScopedWorker]);
    expect(error).toBeInstanceOf(InvalidWorkerError);
    expect(error.message).toMatch(/ScopedWorker: it must not be request-scoped/);
  });

  it('fails bootstrap for two workers on the same queue and group', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue)
    class FirstWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    @QueueWorker(queue, { group: 'default' })
    class SecondWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [FirstWorker, SecondWorker]);
    expect(error).toBeInstanceOf(DuplicateWorkerError);
    expect(error.message).toMatch(/FirstWorker and SecondWorker both consume queue '.*' in group 'default'/);
  });

  it('rejects invalid worker options, an invalid queue name and list options that do not apply, naming the class', async () => {
    @QueueWorker(uniqueQueue(), {
      concurrency: 0,
      backoff: { type: 'linear', delay: 1 },
      colour: 'red',
    } as never)
    class BadOptionsWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [BadOptionsWorker]);
    expect(error).toBeInstanceOf(InvalidWorkerError);
    expect(error.message).toMatch(/BadOptionsWorker: invalid options: /);
    expect(error.message).toMatch(/concurrency must not be less than 1/);
    expect(error.message).toMatch(/backoff must be/);
    expect(error.message).toMatch(/property colour should not exist/);

    @QueueWorker('bad {name}')
    class BadQueueWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [BadQueueWorker])).resolves.toThrow(
      /BadQueueWorker: Invalid queue name/,
    );

    // Options that mean nothing on a list are refused rather than ignored (list-consume covers each).
    @QueueWorker(uniqueQueue(), { transport: 'list', deleteOnAck: true })
    class ListWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [ListWorker])).resolves.toThrow(
      /ListWorker: deleteOnAck does not apply to transport 'list'/,
    );
  });

  it('validates the module-level worker defaults with the other module options', async () => {
    const error = await bootFailure(valkey().url, [], {
      worker: { maxRetries: -1, claimIdle: 'x' } as never,
    });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/worker\.maxRetries/);
    expect(error.message).toMatch(/worker\.claimIdle/);
  });

  it('applies module defaults under per-worker options, and lists workers in the registry', async () => {
    const [a, b] = [uniqueQueue('a'), uniqueQueue('b')];
    @QueueWorker(a)
    class AWorker {
      @OnMessage() async handle(_message: QueueMessage): Promise<void> {}
    }
    @QueueWorker(b, { group: 'billing', consumer: 'fixed-name' })
    class BWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const moduleRef = await bootWorkers(valkey().url, [AWorker, BWorker], {
      worker: { group: 'app', autoStart: false },
    });
    const registry = moduleRef.get(WorkerRegistry);
    expect(
      registry.list().map(({ name, queue, group, running }) => ({ name, queue, group, running })),
    ).toEqual([
      { name: 'AWorker', queue: a, group: 'app', running: false },
      { name: 'BWorker', queue: b, group: 'billing', running: false },
    ]);
    expect(registry.get(b, 'billing')?.consumer).toBe('fixed-name');
    expect(registry.get(a)?.consumer).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(registry.get(a, 'other')).toBeUndefined();
    await moduleRef.close();
  });
});
