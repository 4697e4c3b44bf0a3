/** The run's PostgreSQL: its user, password, database and port, the same on every platform (the local image bakes a cluster for them). */
export const DB = { user: "gameday", password: "gameday", name: "evaluations", port: 5432 } as const;
