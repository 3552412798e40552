import { existsSync } from 'node:fs';

/**
 * True when a Docker engine answers. testcontainers' own runtime discovery is the judge;
 * the socket check first avoids its slow discovery on machines that have no engine.
 */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.RUNLOG_TEST_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await withTimeout(getContainerRuntimeClient(), 5_000);
    return client !== undefined;
  } catch {
    return false;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
