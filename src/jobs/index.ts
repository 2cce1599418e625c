// The job queue's public API, as graphile-worker's: enqueue inside the caller's transaction, read
// and retry jobs, and the worker that runs handlers registered by name. Its SQL (sql/, one
// operation per file) is private to this room.
export { enqueueJob as enqueue } from './sql/enqueueJob';
export { retryJob as retry } from './sql/retryJob';
export { countJobs as count, countJobsByState, JOB_SORT_KEYS, queryJobs as query, readJob as read, streamJobs as stream } from './sql/queryJobs';
export { rowToJob } from './sql/rowToJob';
export { queueStats, type QueueStats } from './sql/queueStats';
export { defaultWorkerOptions, Worker } from './worker';
export { isPermanentFailure, PermanentJobFailure } from './interfaces';
export type { DeadJobHook, Job, JobHandler, JobMetrics, JobState, NewJob, WorkerOptions } from './interfaces';
