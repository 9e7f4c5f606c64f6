"""Platform: what every part of the school stands on. Accounts and API tokens, the audit
trail, system settings, notifications and their outbox, background-job records, archiving,
the school's clock, domain errors, and the unit of work.

Its services are used as namespaces (`audit.record`, `settings.get`, `clock.today`):
import the module from this package, e.g. `from richwell.services.platform import audit`.
"""
