import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named timeout and retry profiles. Bad input fails as the non-retryable `BadInput` type, so retries
 * only ever repeat infrastructure failures.
 */
export const ioShort: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['BadInput'] },
};

/** Downloads, hashing and demuxing of long VODs: heartbeats prove progress, so a lost worker is noticed in 30 s. */
export const ioLong: ActivityOptions = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['BadInput'] },
};

/** Lake commits: short, retried on conflicts and unknown commit states (keyed writes make that safe). */
export const lakeCommit: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['BadInput'] },
};

/** Python jobs on the GPU queue: hours of audio; progress lines heartbeat, a lost worker is noticed in 5 minutes. */
export const gpuJob: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '5 minutes',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['BadInput', 'RunnerBadInput'],
  },
};

/**
 * Training on the GPU queue: the job heartbeats every optimizer step (and names its newest checkpoint
 * in the lake) and beats every few seconds while alive, so a killed worker is noticed within a minute and
 * the retry resumes from that checkpoint.
 */
export const gpuTraining: ActivityOptions = {
  startToCloseTimeout: '48 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['BadInput', 'RunnerBadInput'],
  },
};
