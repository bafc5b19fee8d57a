-- Runs once, when the PostgreSQL data volume is first initialised.
-- One database per service, each owned by its own login role.
-- The passwords are for local use; change them (and the DATABASE_URLs) anywhere else.

CREATE ROLE registry LOGIN PASSWORD 'registry';
CREATE DATABASE registry OWNER registry;
REVOKE ALL ON DATABASE registry FROM PUBLIC;

CREATE ROLE valuation LOGIN PASSWORD 'valuation';
CREATE DATABASE valuation OWNER valuation;
REVOKE ALL ON DATABASE valuation FROM PUBLIC;

CREATE ROLE credit LOGIN PASSWORD 'credit';
CREATE DATABASE credit OWNER credit;
REVOKE ALL ON DATABASE credit FROM PUBLIC;

CREATE ROLE console LOGIN PASSWORD 'console';
CREATE DATABASE console OWNER console;
REVOKE ALL ON DATABASE console FROM PUBLIC;
