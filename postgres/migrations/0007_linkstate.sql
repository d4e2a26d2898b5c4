-- What linking incrementally after a run needs of it (package linkage's
-- State as JSON: settings, blocking rules, fitted model; no record
-- values), kept with the run so that it is in the store and its backups,
-- as package sqlite keeps it (its migration 0007). NULL for runs that
-- kept none.
ALTER TABLE link_runs ADD COLUMN state bytea;
