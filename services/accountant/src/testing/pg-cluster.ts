/** Test support: the throwaway PostgreSQL cluster (built with the package so the benchmark can start one too). */
export { startPgCluster, pgBinDir, type PgCluster } from '../dev/pg-cluster.js';
