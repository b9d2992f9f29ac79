-- Run once by the postgres image when its data volume is new (as the superuser, in POSTGRES_DB).
-- The roles of docs/security.md: an owner for migrations, mnemo_app for requests, a login for the API.
-- Change the passwords (and the URLs in compose.yaml) before using this anywhere real.
CREATE ROLE mnemo_owner LOGIN PASSWORD 'owner-secret' BYPASSRLS;
CREATE ROLE mnemo_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT mnemo_app TO mnemo_owner;
CREATE ROLE mnemo_api LOGIN PASSWORD 'api-secret' NOINHERIT IN ROLE mnemo_app;
ALTER DATABASE mnemo OWNER TO mnemo_owner;
CREATE EXTENSION IF NOT EXISTS vector;
GRANT CREATE ON SCHEMA public TO mnemo_owner;
