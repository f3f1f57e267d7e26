// Imported first by demo.ts: decorator options such as @Scheduled({ every }) are read when their
// modules load, so the demo's faster schedules must be in the environment before the app is imported.
process.env.SAMPLE_SNAPSHOT_EVERY_MS ??= '2000'; // a schedule tick within the demo
process.env.SAMPLE_CLEANUP_EVERY_MS ??= '3000'; // a @Scheduled run within the demo
