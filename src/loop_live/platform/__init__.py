"""Cross-cutting pieces every domain package uses: settings, db, auth, errors, http glue."""
