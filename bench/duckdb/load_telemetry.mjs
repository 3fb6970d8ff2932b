// DuckDB's CSV loader on the same telemetry file as bench/telemetry_bench.cpp, for the
// side-by-side ratio issue 6 asks for: the whole file into an in-memory table, 1 and 2
// threads, three runs each. Usage: node load_telemetry.mjs [FILE]
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2] ?? process.env.APEX_TELEMETRY_FILE ?? '/tmp/telemetry_1g.csv';
for (const threads of ['1', '2']) {
  for (let run = 1; run <= 3; run++) {
    const instance = await DuckDBInstance.create(':memory:', { threads });
    const connection = await instance.connect();
    const start = process.hrtime.bigint();
    await connection.run(`CREATE TABLE telemetry AS SELECT * FROM read_csv('${file.replaceAll("'", "''")}', header = true)`);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const rows = (await connection.runAndReadAll('SELECT count(*) FROM telemetry')).getRows()[0][0];
    console.log(`DuckDB ${threads} thread${threads === '1' ? '' : 's'}, run ${run}: ${seconds.toFixed(2)} s, ${rows} rows`);
    connection.closeSync();
    instance.closeSync();
  }
}
