-- The first migration. Add files as 002_what_it_does.sql; never edit one that has been deployed.
-- Each file runs once, in name order, inside a transaction (src/migrate.ts).
create table if not exists service_info (
  key text primary key,
  value text not null,
  updated_at timestamptz not null default now()
);
