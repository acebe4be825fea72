"""The admin's queue pages: dashboard, registry lists, a job's page, actions, stats."""
