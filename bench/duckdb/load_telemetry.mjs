// DuckDB's CSV loader on the same telemetry file as bench/telemetry_bench.cpp, for a
// side-by-side ratio: the whole file into an in-memory table, 1 and 2
// threads, RUNS runs each (default 3). Prints wall time and the process's CPU time (all
// DuckDB threads), which a busy machine distorts less than wall time.
// Usage: RUNS=1 node load_telemetry.mjs [FILE]
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2] ?? process.env.APEX_TELEMETRY_FILE ?? '/tmp/telemetry_1g.csv';
const runs = Number(process.env.RUNS ?? 3);
for (const threads of ['1', '2']) {
  for (let run = 1; run <= runs; run++) {
    const instance = await DuckDBInstance.create(':memory:', { threads });
    const connection = await instance.connect();
    const start = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    await connection.run(`CREATE TABLE telemetry AS SELECT * FROM read_csv('${file.replaceAll("'", "''")}', header = true)`);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rows = (await connection.runAndReadAll('SELECT count(*) FROM telemetry')).getRows()[0][0];
    console.log(`DuckDB ${threads} thread${threads === '1' ? '' : 's'}, run ${run}: ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU, ${rows} rows`);
    connection.closeSync();
    instance.closeSync();
  }
}
