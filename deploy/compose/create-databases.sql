-- One database per service, each owned by its own role: no service can read another's.
-- Runs once, when the postgres volume is first created. Local passwords only: in
-- production the URLs come from a secret store (deploy/README.md).
CREATE ROLE invoicing LOGIN PASSWORD 'invoicing';
CREATE DATABASE invoicing OWNER invoicing;
CREATE ROLE accounting LOGIN PASSWORD 'accounting';
CREATE DATABASE accounting OWNER accounting;
